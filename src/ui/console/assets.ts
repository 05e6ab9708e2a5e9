/**
 * The console's own static files, served by Sluice under content-hashed paths with a one-year immutable
 * cache: a new build has a new path, so browsers never run a stale copy. Today: the code editor
 * (assets/editor.js.txt, built by tools/build_editor_js.ts, embedded by `deno task compile`).
 */
import { Hono } from "hono";
import { sha256Hex } from "../../auth/crypto.ts";
import type { AppEnv } from "../../http/env.ts";

const EDITOR_SOURCE = new URL("../../../assets/editor.js.txt", import.meta.url);

interface Asset {
  path: string;
  body: string;
}

let editor: Promise<Asset> | null = null;

async function loadEditor(): Promise<Asset> {
  const body = await Deno.readTextFile(EDITOR_SOURCE);
  return { path: `/console/assets/editor.${(await sha256Hex(body)).slice(0, 16)}.js`, body };
}

/** The editor script's path, e.g. `/console/assets/editor.0123456789abcdef.js`. */
export async function editorScriptPath(): Promise<string> {
  editor ??= loadEditor();
  return (await editor).path;
}

/** Serves the hashed assets; any other hash is a 404 (an old page asks for a file no longer here). */
export function consoleAssetsRouter() {
  const app = new Hono<AppEnv>();
  app.get("/console/assets/:file", async function serveAsset(c) {
    editor ??= loadEditor();
    const asset = await editor;
    if (c.req.path !== asset.path) return c.text("Not found", 404);
    return c.body(asset.body, 200, {
      "content-type": "application/javascript; charset=utf-8",
      "cache-control": "public, max-age=31536000, immutable",
      "x-content-type-options": "nosniff",
    });
  });
  return app;
}
