/**
 * Builds the browser script served at `/p.js` and `/lib.js`: `deno task pjs` bundles
 * src/ingest/browser/loader.ts with the `@jitsu/js` version pinned in deno.json (MIT) into
 * assets/p.js.txt, minified, with the licence notices on top. The output is committed, so the
 * server, the compiled binary and the Docker image never build or download it;
 * tests/ingest/p_js_build_test.ts fails when it differs from a fresh build.
 */
const root = new URL("../", import.meta.url);
export const OUTPUT = "assets/p.js.txt";
const ENTRY = "src/ingest/browser/loader.ts";

/** The pinned `@jitsu/js` version, read from deno.json's imports. */
export async function pinnedVersion(): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
  const spec: string | undefined = config.imports["@jitsu/js"];
  const version = spec && /^npm:@jitsu\/js@(\d+\.\d+\.\d+)$/.exec(spec)?.[1];
  if (!version) throw new Error(`deno.json must pin @jitsu/js to an exact version, found ${spec}`);
  return version;
}

/** The banner: where the code comes from and under which licences. */
export function banner(version: string): string {
  return `/*! Sluice p.js: @jitsu/js ${version} (MIT, Copyright (c) 2021 Jitsu Labs, Inc; it bundles ` +
    `analytics by David Wells, MIT) started from the script tag by Sluice's loader (MIT). */\n`;
}

/** Bundles the script and returns its text (banner included). */
export async function buildPJs(): Promise<string> {
  const version = await pinnedVersion();
  const dir = await Deno.makeTempDir({ prefix: "sluice-pjs-" });
  try {
    const out = `${dir}/p.js`;
    const res = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--platform", "browser", "--format", "iife", "--minify", "--output", out, ENTRY],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!res.success) {
      throw new Error(`deno bundle ${ENTRY} failed: ${new TextDecoder().decode(res.stderr)}`);
    }
    return banner(version) + await Deno.readTextFile(out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const text = await buildPJs();
  await Deno.writeTextFile(new URL(OUTPUT, root), text);
  console.log(`wrote ${OUTPUT} (${text.length} bytes)`);
}
