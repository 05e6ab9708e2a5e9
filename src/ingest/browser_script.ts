/**
 * The browser script `/p.js` as served: the committed build (assets/p.js.txt, made by
 * `deno task pjs` from the pinned `@jitsu/js`; embedded in the compiled binary by the compile task's
 * --include), read once per app, with a strong ETag from its SHA-256 and gzip and brotli forms made once.
 */
/** The script in every encoding served, with its ETag. */
export interface BrowserScript {
  etag: string;
  identity: Uint8Array<ArrayBuffer>;
  gzip: Uint8Array<ArrayBuffer>;
  br: Uint8Array<ArrayBuffer>;
}

const SOURCE = new URL("../../assets/p.js.txt", import.meta.url);

/**
 * Reads and compresses the script (about 80 KB; a few milliseconds, once). node:zlib loads here, on the
 * first `/p.js`, not with the app: Deno's zlib module and what it pulls in took 10-15 ms of every start.
 */
export async function loadBrowserScript(): Promise<BrowserScript> {
  const { brotliCompressSync, gzipSync } = await import("node:zlib");
  const identity = await Deno.readFile(SOURCE);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", identity));
  const hex = Array.from(digest.slice(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
  return {
    etag: `"${hex}"`,
    identity,
    gzip: new Uint8Array(gzipSync(identity, { level: 9 })),
    br: new Uint8Array(brotliCompressSync(identity)),
  };
}

/** The encoding to answer with for an `Accept-Encoding` value: br, then gzip, then none (q=0 refuses). */
export function pickEncoding(acceptEncoding: string | null | undefined): "br" | "gzip" | "identity" {
  const accepted = new Map<string, number>();
  for (const part of (acceptEncoding ?? "").toLowerCase().split(",")) {
    const [name, ...params] = part.trim().split(";");
    if (!name) continue;
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((x) => x !== undefined);
    accepted.set(name.trim(), q === undefined ? 1 : Number(q));
  }
  const ok = (name: string) => (accepted.get(name) ?? accepted.get("*") ?? 0) > 0;
  if (ok("br")) return "br";
  if (ok("gzip")) return "gzip";
  return "identity";
}

/** Whether an `If-None-Match` value matches `etag` (a list, weak forms and `*` included). */
export function etagMatches(ifNoneMatch: string | null | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(",").some((t) => {
    const tag = t.trim();
    return tag === "*" || tag === etag || tag === `W/${etag}`;
  });
}
