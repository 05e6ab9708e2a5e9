/// <reference lib="dom" />
/**
 * The Functions page's code editor: CodeMirror 6 (MIT) over each `<textarea data-code-editor>`. The
 * textarea stays in the form (hidden) and gets the editor's text on every change, so the page works the
 * same without this script. Bundled by tools/build_editor_js.ts into assets/editor.js.txt.
 */
import { basicSetup, EditorView } from "codemirror";
import { javascript } from "@codemirror/lang-javascript";

function attach(area: HTMLTextAreaElement) {
  const view = new EditorView({
    doc: area.value,
    extensions: [
      basicSetup,
      javascript(),
      EditorView.updateListener.of(function sync(u) {
        if (u.docChanged) area.value = u.state.doc.toString();
      }),
      EditorView.contentAttributes.of({ "aria-label": area.getAttribute("aria-label") ?? "Code" }),
    ],
  });
  area.style.display = "none";
  area.insertAdjacentElement("afterend", view.dom);
  view.dom.classList.add("code-editor");
}

for (const area of document.querySelectorAll<HTMLTextAreaElement>("textarea[data-code-editor]")) {
  attach(area);
}
