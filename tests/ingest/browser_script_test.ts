/** `/p.js` and `/lib.js`: the committed build is fresh, and it is served with an ETag, compression and caching. */
import assert from "node:assert/strict";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { buildPJs, OUTPUT } from "../../tools/build_p_js.ts";
import { pickEncoding } from "../../src/ingest/browser_script.ts";
import { testApp } from "../_helpers/app.ts";

const root = new URL("../../", import.meta.url);

Deno.test("the committed p.js is what `deno task pjs` builds from the pinned @jitsu/js", async () => {
  const committed = await Deno.readTextFile(new URL(OUTPUT, root));
  assert.ok(committed === await buildPJs(), `${OUTPUT} is stale: run deno task pjs and commit it`);
  assert.match(committed, /@jitsu\/js \d+\.\d+\.\d+ \(MIT/);
});

Deno.test("the compiled binary and the Docker image carry the built p.js", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
  assert.match(config.tasks.compile, new RegExp(`--include ${OUTPUT.replaceAll(".", "\\.")} `));
  const dockerfile = await Deno.readTextFile(new URL("Dockerfile", root));
  assert.match(
    dockerfile,
    /^COPY src \.\/src$/m,
    "the image builds from src/, the committed script included",
  );
});

Deno.test("GET /p.js and /lib.js: JavaScript with an ETag, a 304 on If-None-Match, brotli or gzip when accepted", async () => {
  const t = await testApp();
  try {
    const plain = await t.request("/p.js", { headers: { "accept-encoding": "identity" } });
    assert.equal(plain.status, 200);
    assert.equal(plain.headers.get("content-type"), "application/javascript; charset=utf-8");
    assert.equal(plain.headers.get("content-encoding"), null);
    assert.match(plain.headers.get("cache-control") ?? "", /public, max-age=3600/);
    assert.equal(plain.headers.get("vary"), "Accept-Encoding");
    assert.equal(plain.headers.get("access-control-allow-origin"), "*");
    const etag = plain.headers.get("etag")!;
    assert.match(etag, /^"[0-9a-f]{32}"$/);
    const text = await plain.text();
    assert.equal(text, await Deno.readTextFile(new URL(OUTPUT, root)));

    const lib = await t.request("/lib.js", { headers: { "accept-encoding": "identity" } });
    assert.equal(lib.headers.get("etag"), etag);
    assert.equal(await lib.text(), text);

    const gz = await t.request("/p.js", { headers: { "accept-encoding": "gzip" } });
    assert.equal(gz.headers.get("content-encoding"), "gzip");
    const gzBytes = new Uint8Array(await gz.arrayBuffer());
    assert.ok(gzBytes.length < text.length / 2, `gzip is ${gzBytes.length} bytes`);
    assert.equal(new TextDecoder().decode(gunzipSync(gzBytes)), text);

    const br = await t.request("/p.js", { headers: { "accept-encoding": "gzip, deflate, br" } });
    assert.equal(br.headers.get("content-encoding"), "br");
    const brBytes = new Uint8Array(await br.arrayBuffer());
    assert.ok(brBytes.length < gzBytes.length, `brotli is ${brBytes.length} bytes`);
    assert.equal(new TextDecoder().decode(brotliDecompressSync(brBytes)), text);

    const again = await t.request("/p.js", { headers: { "if-none-match": etag } });
    assert.equal(again.status, 304);
    assert.equal(again.headers.get("etag"), etag);
    assert.equal(await again.text(), "");
    const other = await t.request("/p.js", {
      headers: { "if-none-match": '"other"', "accept-encoding": "" },
    });
    assert.equal(other.status, 200);
    await other.body?.cancel();

    const head = await t.request("/p.js", { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");
  } finally {
    await t.close();
  }
});

Deno.test("pickEncoding() prefers br, then gzip, and honours q=0", () => {
  assert.equal(pickEncoding("gzip, br"), "br");
  assert.equal(pickEncoding("gzip;q=1, br;q=0"), "gzip");
  assert.equal(pickEncoding("*"), "br");
  assert.equal(pickEncoding("identity"), "identity");
  assert.equal(pickEncoding(null), "identity");
});
