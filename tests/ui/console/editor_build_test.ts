/** The console's code editor: the committed bundle is fresh and ships in the binary and the image. */
import assert from "node:assert/strict";
import { buildEditorJs, OUTPUT } from "../../../tools/build_editor_js.ts";

const root = new URL("../../../", import.meta.url);

Deno.test("the committed editor.js.txt is what `deno task editorjs` builds from the pinned CodeMirror", async () => {
  const committed = await Deno.readTextFile(new URL(OUTPUT, root));
  assert.ok(committed === await buildEditorJs(), `${OUTPUT} is stale: run deno task editorjs and commit it`);
  assert.match(committed, /^\/\*! Sluice code editor: CodeMirror 6 \(MIT/);
});

Deno.test("the compiled binary and the Docker image carry the editor bundle", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
  assert.match(config.tasks.compile, new RegExp(`--include ${OUTPUT.replaceAll(".", "\\.")} `));
  assert.match(config.imports.codemirror, /^npm:codemirror@\d+\.\d+\.\d+$/);
  assert.match(
    config.imports["@codemirror/lang-javascript"],
    /^npm:@codemirror\/lang-javascript@\d+\.\d+\.\d+$/,
  );
  const dockerfile = await Deno.readTextFile(new URL("Dockerfile", root));
  assert.match(
    dockerfile,
    /^COPY src \.\/src$/m,
    "the image builds from src/, the committed bundle included",
  );
});
