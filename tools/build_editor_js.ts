/**
 * Builds the Functions page's code editor: `deno task editorjs` bundles
 * src/ui/console/editor/editor_entry.ts with the CodeMirror 6 packages pinned in deno.json (MIT) into
 * assets/editor.js.txt, minified, with the licence notice on top. The output is committed,
 * so the server, the compiled binary and the Docker image serve it without building anything; Sluice
 * serves it under a content-hashed path with a one-year cache (src/ui/console/assets.ts).
 */
const root = new URL("../", import.meta.url);
export const OUTPUT = "assets/editor.js.txt";
const ENTRY = "src/ui/console/editor/editor_entry.ts";

/** The banner: where the code comes from and under which licence. */
export const BANNER =
  "/*! Sluice code editor: CodeMirror 6 (MIT, Copyright (C) 2018-2021 by Marijn Haverbeke " +
  "and others) with @codemirror/lang-javascript and @lezer packages (MIT). */\n";

/** Bundles the editor and returns its text (banner included). */
export async function buildEditorJs(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "sluice-editor-" });
  try {
    const out = `${dir}/editor.js`;
    const res = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--platform", "browser", "--format", "iife", "--minify", "--output", out, ENTRY],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!res.success) {
      throw new Error(`deno bundle ${ENTRY} failed: ${new TextDecoder().decode(res.stderr)}`);
    }
    return BANNER + await Deno.readTextFile(out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const text = await buildEditorJs();
  await Deno.writeTextFile(new URL(OUTPUT, root), text);
  console.log(`wrote ${OUTPUT} (${text.length} bytes)`);
}
