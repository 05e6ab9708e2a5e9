import assert from "node:assert/strict";
import { testApp } from "../../_helpers/app.ts";
import { getPage, postForm, signedIn, submit } from "./_helpers.ts";

function decode(html: string) {
  return html.replaceAll("&quot;", '"').replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll(
    "&#39;",
    "'",
  )
    .replaceAll("&amp;", "&");
}

Deno.test("console functions: editor script is hashed and long-cached; run on a sample event shows result and errors", async () => {
  const t = await testApp();
  try {
    const s = await signedIn(t, { slug: "fns" });
    const page = await getPage(t, s.cookie, "/fns/functions/new");
    assert.equal(page.status, 200);
    assert.match(page.html, /<textarea id="f-code" name="code"[^>]*data-code-editor/);
    const src =
      /<script nonce="[^"]+" src="(\/console\/assets\/editor\.[0-9a-f]{16}\.js)"/.exec(page.html)![1];
    const asset = await t.request(src);
    assert.equal(asset.status, 200);
    assert.equal(asset.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assert.match(asset.headers.get("content-type")!, /javascript/);
    assert.match(await asset.text(), /CodeMirror 6/);
    assert.equal((await t.request("/console/assets/editor.0000000000000000.js")).status, 404);

    const code = 'export default async function(event, ctx) {\n  ctx.log.info("seen " + event.event);\n' +
      '  ctx.store.set("last", event.userId);\n  return { ...event, seen: true };\n}';
    const run = await postForm(t, s.cookie, "/fns/functions/run", {
      csrf: page.csrf,
      name: "Tag",
      code,
      sampleEvent: JSON.stringify({ type: "track", event: "Signed up", userId: "u7" }),
    });
    assert.equal(run.status, 200);
    const html = decode(await run.text());
    assert.match(html, /<pre id="run-output">[^<]*"seen": true/);
    assert.match(html, /<pre id="run-logs">[^<]*seen Signed up/);
    assert.match(html, /<pre id="run-store">[^<]*"last": "u7"/);
    assert.ok(html.includes(code), "the unsaved code stays in the editor");

    const broken = await postForm(t, s.cookie, "/fns/functions/run", {
      csrf: page.csrf,
      name: "Broken",
      code: "export default async function(event) {\n  return event.nope.deeper;\n}",
      sampleEvent: "{}",
    });
    const brokenHtml = decode(await broken.text());
    assert.match(brokenHtml, /<p class="error" id="run-error">TypeError: [^<]*\(line 2, column \d+\)/);

    const drop = await postForm(t, s.cookie, "/fns/functions/run", {
      csrf: page.csrf,
      name: "Drop",
      code: "export default async function() { return null; }",
      sampleEvent: "{}",
    });
    assert.match(await drop.text(), /id="run-dropped"/);
    const badEvent = await postForm(t, s.cookie, "/fns/functions/run", {
      csrf: page.csrf,
      name: "X",
      code,
      sampleEvent: "{not json",
    });
    assert.equal(badEvent.status, 400);
    assert.match(await badEvent.text(), /event: must be valid JSON/);

    // Saving checks the syntax as REST does, with its message beside the code.
    const bad = await postForm(t, s.cookie, "/fns/functions", {
      csrf: page.csrf,
      name: "Bad",
      code: "export default (",
    });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /id="f-code-error" role="alert">/);
    const saved = await postForm(t, s.cookie, "/fns/functions", { csrf: page.csrf, name: "Tag", code });
    assert.equal(saved.status, 303, await saved.text());
  } finally {
    await t.close();
  }
});

Deno.test("console Live Events: an ingested event shows newest first, search and errors-only filter", async () => {
  const t = await testApp();
  try {
    const s = await signedIn(t, { slug: "live" });
    const created = await submit(t, s, {
      from: "/live/streams/new",
      action: "/live/streams",
      form: { name: "Site" },
    });
    const flash = created.headers.getSetCookie().find((c) => c.startsWith("sluice_console_key="))!;
    const streamPage = created.headers.get("location")!.split("?")[0];
    const streamId = streamPage.split("/").pop()!;
    const html = decode(
      await (await t.request(streamPage, { headers: { cookie: `${s.cookie}; ${flash.split(";")[0]}` } }))
        .text(),
    );
    const key = /<pre id="write-key-value">([^<]+)<\/pre>/.exec(html)![1];
    for (const event of ["First event", "Second event"]) {
      const res = await t.request("/api/s/s2s/track", {
        method: "POST",
        headers: { "x-write-key": key },
        json: { type: "track", event, userId: "u1" },
      });
      assert.equal(res.status, 200);
    }
    const live = await getPage(t, s.cookie, `/live/live?source=${streamId}&type=incoming`);
    assert.equal(live.status, 200);
    assert.match(
      live.html,
      /<script nonce="[^"]+">\(function\(\)\{var box=document.getElementById\("auto-refresh"\)/,
    );
    const second = live.html.indexOf("Second event");
    const first = live.html.indexOf("First event");
    assert.ok(second > 0 && first > second, "newest first");
    assert.match(live.html, /<details class="entry" data-level="info">/);
    const searched = await getPage(t, s.cookie, `/live/live?source=${streamId}&type=incoming&q=First`);
    assert.ok(searched.html.includes("First event") && !searched.html.includes("Second event"));
    const errors = await getPage(t, s.cookie, `/live/live?source=${streamId}&type=incoming&errors=1`);
    assert.ok(!errors.html.includes("First event"));
    assert.match(errors.html, /No events yet/);
    assert.ok(
      !errors.html.includes("bulker_batch, and here only"),
      "the batch-mode hint is for bulker_stream",
    );
    const writes = await getPage(t, s.cookie, `/live/live?source=${streamId}&type=bulker_stream`);
    assert.match(writes.html, /No events yet for this source and type\. A batch-mode connection/);
    const bad = await getPage(t, s.cookie, `/live/live?type=incoming&cursor=garbage`);
    assert.equal(bad.status, 200);
    assert.match(bad.html, /class="error" role="alert">Cannot query events/);
    const dead = await getPage(t, s.cookie, "/live/live?type=dead-letter");
    assert.match(dead.html, /Waiting in the dead letter \(0\)/);
    const replay = await postForm(t, s.cookie, "/live/live/replay", { csrf: dead.csrf });
    assert.equal(replay.status, 303);
    assert.match(replay.headers.get("location")!, /replayed=0/);
  } finally {
    await t.close();
  }
});
