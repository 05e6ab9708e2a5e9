import assert from "node:assert/strict";
import {
  checkUrl,
  FetchBlockedError,
  guardedFetch,
  isMetadataAddress,
  isNonPublicAddress,
} from "../../src/sandbox/guarded_fetch.ts";

Deno.test("isNonPublicAddress() refuses loopback, private, link-local, metadata and mapped forms", () => {
  for (
    const ip of [
      "127.0.0.1",
      "127.5.6.7",
      "10.0.0.1",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "255.255.255.255",
      "::1",
      "::",
      "fe80::1",
      "fc00::1",
      "fd12:3456::1",
      "::ffff:127.0.0.1",
      "::ffff:7f00:1",
      "::ffff:10.1.2.3",
      "64:ff9b::a9fe:a9fe",
      "ff02::1",
      "not-an-ip",
    ]
  ) assert.equal(isNonPublicAddress(ip), true, ip);
  for (
    const ip of ["8.8.8.8", "1.1.1.1", "172.32.0.1", "192.169.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
  ) {
    assert.equal(isNonPublicAddress(ip), false, ip);
  }
});

Deno.test("checkUrl() refuses a name that resolves to a private address, and non-http schemes", async () => {
  const resolve = (host: string) =>
    Promise.resolve(host === "evil.example" ? ["10.0.0.5"] : ["93.184.216.34"]);
  await assert.rejects(
    checkUrl(new URL("http://evil.example/x"), { allowPrivateNetwork: false, timeoutMs: 1000, resolve }),
    (e) => e instanceof FetchBlockedError && /non-public address \(10\.0\.0\.5\)/.test(e.message),
  );
  await checkUrl(new URL("https://good.example/x"), { allowPrivateNetwork: false, timeoutMs: 1000, resolve });
  await assert.rejects(
    checkUrl(new URL("file:///etc/passwd"), { allowPrivateNetwork: true, timeoutMs: 1000, resolve }),
    /only http and https/,
  );
  await assert.rejects(
    checkUrl(new URL("http://[::1]:8080/"), { allowPrivateNetwork: false, timeoutMs: 1000, resolve }),
    FetchBlockedError,
  );
});

Deno.test("checkUrl() keeps cloud metadata blocked even with FUNCTIONS_ALLOW_PRIVATE_NETWORK", async () => {
  await assert.rejects(
    checkUrl(new URL("http://169.254.169.254/latest/meta-data/"), {
      allowPrivateNetwork: true,
      timeoutMs: 1000,
    }),
    /metadata/,
  );
  await checkUrl(new URL("http://127.0.0.1:1/"), { allowPrivateNetwork: true, timeoutMs: 1000 });
});

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

Deno.test("checkUrl() blocks all of 169.254.0.0/16 and mapped IPv6 forms of metadata even when private is allowed", async () => {
  const open = { allowPrivateNetwork: true, timeoutMs: 1000 };
  for (
    const url of [
      "http://169.254.1.2/",
      "http://[::ffff:169.254.169.254]/",
      "http://[::ffff:a9fe:a9fe]/",
      "http://[64:ff9b::a9fe:a9fe]/",
      "http://[fd00:ec2:0::254]/",
      "http://2852039166/", // 169.254.169.254 as one number: URL normalises it to dotted form
    ]
  ) {
    await assert.rejects(checkUrl(new URL(url), open), /metadata endpoints are never allowed/, url);
  }
  await assert.rejects(
    checkUrl(new URL("http://meta.example/"), {
      ...open,
      resolve: () => Promise.resolve(["::ffff:169.254.169.254"]),
    }),
    /metadata/,
  );
  assert.equal(isMetadataAddress("10.0.0.1"), false);
  assert.equal(isMetadataAddress("::ffff:10.0.0.1"), false);
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
