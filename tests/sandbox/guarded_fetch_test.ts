import assert from "node:assert/strict";
import { guardedFetch } from "../../src/sandbox/guarded_fetch.ts";

Deno.test("guardedFetch() checks every redirect hop, masks secret headers, refuses loopback by default", async () => {
  await using server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
    const u = new URL(req.url);
    if (u.pathname === "/hop") return Response.redirect("http://169.254.169.254/latest/meta-data/", 302);
    return new Response(JSON.stringify({ ok: true, auth: req.headers.get("authorization") !== null }), {
      headers: { "content-type": "application/json" },
    });
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  const ok = await guardedFetch(`${base}/x`, { headers: { authorization: "Bearer s3cret" } }, "udf.f", {
    allowPrivateNetwork: true,
    timeoutMs: 2000,
  });
  assert.equal(ok.reply?.status, 200);
  assert.deepEqual(JSON.parse(ok.reply!.body), { ok: true, auth: true });
  assert.equal(ok.log.type, "http");
  assert.equal((ok.log.data!.headers as Record<string, string>).authorization, "*****");
  assert.ok(!JSON.stringify(ok.log).includes("s3cret"), "secret headers never reach the log");

  const hop = await guardedFetch(`${base}/hop`, {}, "udf.f", { allowPrivateNetwork: true, timeoutMs: 2000 });
  assert.equal(hop.reply, undefined);
  assert.match(hop.error!, /metadata endpoints are never allowed/);

  const blocked = await guardedFetch(`${base}/x`, {}, "udf.f", {
    allowPrivateNetwork: false,
    timeoutMs: 2000,
  });
  assert.equal(blocked.reply, undefined);
  assert.match(blocked.error!, /non-public address/);
  assert.equal(blocked.log.level, "error");
});

Deno.test("guardedFetch() gives up after its timeout", async () => {
  await using server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async () => {
    await new Promise((r) => setTimeout(r, 1500));
    return new Response("late");
  });
  const started = performance.now();
  const r = await guardedFetch(`http://127.0.0.1:${server.addr.port}/`, {}, "udf.f", {
    allowPrivateNetwork: true,
    timeoutMs: 200,
  });
  assert.match(r.error!, /no answer within 200 ms/);
  assert.ok(performance.now() - started < 1200);
});

Deno.test("guardedFetch() stops reading an endless response at its limit", async () => {
  let sent = 0;
  await using server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, () => {
    const chunk = new Uint8Array(64 * 1024);
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        sent += chunk.length;
        if (sent > 64 * 1024 * 1024) return c.close(); // a safety stop; the client must give up long before
        c.enqueue(chunk);
      },
    });
    return new Response(body);
  });
  const r = await guardedFetch(`http://127.0.0.1:${server.addr.port}/`, {}, "udf.f", {
    allowPrivateNetwork: true,
    timeoutMs: 5000,
    maxResponseBytes: 256 * 1024,
  });
  assert.match(r.error!, /response is larger than 262144 bytes/);
  assert.ok(sent < 16 * 1024 * 1024, `the server sent ${sent} bytes before the client stopped`);
});

Deno.test("guardedFetch() drops Authorization and Cookie on a cross-origin redirect, keeps them same-origin", async () => {
  const seen: Record<string, string | null>[] = [];
  await using server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
    const u = new URL(req.url);
    seen.push({
      path: u.pathname,
      host: u.hostname,
      auth: req.headers.get("authorization"),
      cookie: req.headers.get("cookie"),
      other: req.headers.get("x-other"),
    });
    if (u.pathname === "/same") return Response.redirect(`http://127.0.0.1:${u.port}/end`, 302);
    if (u.pathname === "/cross") return Response.redirect(`http://localhost:${u.port}/end`, 302);
    return new Response("ok");
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  const headers = { authorization: "Bearer s3cret", cookie: "sid=1", "x-other": "kept" };
  const opts = { allowPrivateNetwork: true, timeoutMs: 2000, resolve: () => Promise.resolve(["127.0.0.1"]) };
  assert.equal((await guardedFetch(`${base}/same`, { headers }, "udf.f", opts)).reply?.status, 200);
  assert.equal((await guardedFetch(`${base}/cross`, { headers }, "udf.f", opts)).reply?.status, 200);
  assert.deepEqual(seen.map((s) => [s.path, s.auth, s.cookie, s.other]), [
    ["/same", "Bearer s3cret", "sid=1", "kept"],
    ["/end", "Bearer s3cret", "sid=1", "kept"],
    ["/cross", "Bearer s3cret", "sid=1", "kept"],
    ["/end", null, null, "kept"],
  ]);
});
