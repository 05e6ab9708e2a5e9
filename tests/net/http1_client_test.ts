/** The keep-alive HTTP/1.1 client of src/net/http1_client.ts against raw TCP servers and a TLS server. */
import assert from "node:assert/strict";
import { headerLine, Http1Client, type Http1Request, Http1TimeoutError } from "../../src/net/http1_client.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * A TCP server that answers each request it reads with the next of `answers` (raw bytes), and counts
 * connections; `after: "close"` closes the connection after that answer.
 */
function rawServer(answers: { bytes: string; close?: boolean; delayMs?: number }[]) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const requests: string[] = [];
  let connections = 0;
  let next = 0;
  const conns = new Set<Deno.Conn>();
  (async () => {
    for await (const conn of listener) {
      connections++;
      conns.add(conn);
      (async () => {
        const buf = new Uint8Array(65536);
        let text = "";
        try {
          for (;;) {
            const n = await conn.read(buf);
            if (n === null) break;
            text += dec.decode(buf.subarray(0, n));
            // One request: head plus content-length bytes of body.
            for (;;) {
              const end = text.indexOf("\r\n\r\n");
              if (end < 0) break;
              const length = Number(/content-length: (\d+)/i.exec(text.slice(0, end))?.[1] ?? 0);
              if (text.length < end + 4 + length) break;
              requests.push(text.slice(0, end + 4 + length));
              text = text.slice(end + 4 + length);
              const a = answers[Math.min(next++, answers.length - 1)];
              if (a.delayMs) await new Promise((r) => setTimeout(r, a.delayMs));
              await conn.write(enc.encode(a.bytes));
              if (a.close) {
                conn.close();
                conns.delete(conn);
                return;
              }
            }
          }
        } catch {
          // closed by the test
        }
        try {
          conn.close();
        } catch { /* closed */ }
        conns.delete(conn);
      })();
    }
  })();
  const port = (listener.addr as Deno.NetAddr).port;
  return {
    url: new URL(`http://127.0.0.1:${port}/hook?x=1`),
    requests,
    connections: () => connections,
    close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
    },
  };
}

function req(url: URL, over: Partial<Http1Request> = {}): Http1Request {
  return {
    method: "POST",
    url,
    addresses: ["127.0.0.1"],
    headers: [["content-type", "application/json"]],
    body: enc.encode('{"a":1}'),
    timeoutMs: 2000,
    maxBodyBytes: 4096,
    ...over,
  };
}

const OK = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";

Deno.test("Http1Client sends head and body and reuses the connection for the next request", async () => {
  const s = rawServer([{ bytes: OK }]);
  const client = new Http1Client();
  try {
    for (let i = 0; i < 3; i++) {
      const res = await client.request(req(s.url));
      assert.equal(res.status, 200);
      assert.equal(res.text(), "ok");
    }
    assert.equal(s.connections(), 1, "one keep-alive connection");
    const first = s.requests[0];
    assert.match(first, /^POST \/hook\?x=1 HTTP\/1\.1\r\n/);
    assert.match(first, new RegExp(`\r\nhost: 127\\.0\\.0\\.1:${s.url.port}\r\n`));
    assert.match(first, /\r\ncontent-length: 7\r\n\r\n\{"a":1\}$/);
  } finally {
    client.close();
    s.close();
  }
});

Deno.test("Http1Client reads chunked bodies with trailers, skips 1xx answers, and honours Connection: close", async () => {
  const s = rawServer([
    {
      bytes: "HTTP/1.1 503 Busy\r\nretry-after: 7\r\ntransfer-encoding: chunked\r\n\r\n" +
        "4;ext=1\r\nbusy\r\n5\r\n now!\r\n0\r\nx-trailer: 1\r\n\r\n",
    },
    { bytes: "HTTP/1.1 100 Continue\r\n\r\n" + OK },
    { bytes: "HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n" },
    { bytes: OK },
  ]);
  const client = new Http1Client();
  try {
    const busy = await client.request(req(s.url));
    assert.equal(busy.status, 503);
    assert.equal(busy.statusText, "Busy");
    assert.equal(busy.header("retry-after"), "7");
    assert.equal(busy.text(), "busy now!");
    assert.equal((await client.request(req(s.url))).status, 200, "the 100 Continue before it is skipped");
    assert.equal((await client.request(req(s.url))).status, 204);
    assert.equal((await client.request(req(s.url))).status, 200);
    assert.equal(s.connections(), 2, "a new connection after Connection: close");
  } finally {
    client.close();
    s.close();
  }
});

Deno.test("Http1Client frames an answer by its headers in any case and keeps every header for reading", async () => {
  const s = rawServer([
    {
      bytes: "HTTP/1.1 429 Slow down\r\nX-Long-Header-Name-Here: a:b\r\nCONTENT-LENGTH: 2\r\n" +
        "Retry-After: 7\r\nConnection:Close\r\n\r\nnoEXTRA",
    },
    { bytes: OK },
  ]);
  const client = new Http1Client();
  try {
    const res = await client.request(req(s.url));
    assert.equal(res.status, 429);
    assert.equal(res.statusText, "Slow down");
    assert.equal(res.text(), "no");
    assert.equal(res.header("retry-after"), "7");
    assert.deepEqual(res.headerList, [
      ["x-long-header-name-here", "a:b"],
      ["content-length", "2"],
      ["retry-after", "7"],
      ["connection", "Close"],
    ]);
    assert.equal(res.headers().get("X-Long-Header-Name-Here"), "a:b");
    assert.equal((await client.request(req(s.url))).status, 200);
    assert.equal(s.connections(), 2, "Connection: close in any case closes the connection");
  } finally {
    client.close();
    s.close();
  }
});

Deno.test("Http1Client sends a request again on a new connection when the server closed the idle one", async () => {
  // The server closes after answering without saying so: the second request finds the connection dead.
  const s = rawServer([{ bytes: OK, close: true }]);
  const client = new Http1Client();
  try {
    assert.equal((await client.request(req(s.url))).status, 200);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await client.request(req(s.url))).status, 200);
    assert.equal(s.connections(), 2);
    assert.equal(s.requests.length, 2, "each request reached the server once");
  } finally {
    client.close();
    s.close();
  }
});

Deno.test("Http1Client keeps at most maxBodyBytes of a body, reads to the end without a length, and times out", async () => {
  const big = "x".repeat(10_000);
  const s = rawServer([
    { bytes: `HTTP/1.1 500 Oops\r\ncontent-length: ${big.length}\r\n\r\n${big}` },
    { bytes: OK },
    { bytes: OK, delayMs: 600 },
  ]);
  const client = new Http1Client();
  try {
    const cut = await client.request(req(s.url, { maxBodyBytes: 100 }));
    assert.equal(cut.body.length, 100);
    assert.equal((await client.request(req(s.url))).text(), "ok");
    assert.equal(s.connections(), 2, "a body not read to its end closes its connection");
    await assert.rejects(() => client.request(req(s.url, { timeoutMs: 150 })), Http1TimeoutError);
    const eof = rawServer([{ bytes: "HTTP/1.0 200 OK\r\n\r\nuntil the end", close: true }]);
    assert.equal((await client.request(req(eof.url))).text(), "until the end");
    eof.close();
  } finally {
    client.close();
    s.close();
  }
});

Deno.test("Http1Client times each request out at its own deadline while others go on", async () => {
  const s = rawServer([{ bytes: OK, delayMs: 300 }]);
  const client = new Http1Client();
  try {
    const t0 = performance.now();
    const [short, long] = await Promise.allSettled([
      client.request(req(s.url, { timeoutMs: 80 })),
      client.request(req(s.url, { timeoutMs: 5000 })),
    ]);
    assert.equal(short.status, "rejected");
    assert.ok((short as PromiseRejectedResult).reason instanceof Http1TimeoutError);
    assert.equal(long.status, "fulfilled");
    assert.equal((long as PromiseFulfilledResult<{ status: number }>).value.status, 200);
    // The later deadline is still kept after the earlier one fired.
    await assert.rejects(() => client.request(req(s.url, { timeoutMs: 120 })), Http1TimeoutError);
    assert.ok(performance.now() - t0 < 3000);
  } finally {
    client.close();
    s.close();
  }
});

Deno.test("Http1Client waits for a deadline past setTimeout's range without firing early or re-arming at once", async () => {
  const s = rawServer([{ bytes: OK, delayMs: 250 }]);
  const client = new Http1Client();
  const original = globalThis.setTimeout;
  const delays: number[] = [];
  globalThis.setTimeout = ((fn: () => void, ms?: number) => {
    delays.push(ms ?? 0);
    return original(fn, ms);
  }) as typeof setTimeout;
  try {
    const answer = await client.request(req(s.url, { timeoutMs: 3e9 }));
    assert.equal(answer.status, 200, "a deadline of 3e9 ms does not time the request out at once");
    const long = delays.filter((ms) => ms > 1e9);
    assert.ok(
      long.length >= 1 && long.length <= 2,
      `the far deadline's timer was armed ${long.length} times`,
    );
    assert.ok(long.every((ms) => ms <= 2 ** 31 - 1), "no delay past setTimeout's range");
  } finally {
    globalThis.setTimeout = original;
    client.close();
    s.close();
  }
});

Deno.test("Http1Client refuses an answer with two different content-lengths and reads the next on a new connection", async () => {
  const s = rawServer([
    { bytes: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nfirst" },
    { bytes: "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond" },
    { bytes: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nsam" },
  ]);
  const client = new Http1Client();
  try {
    await assert.rejects(() => client.request(req(s.url)), /content-length "2, 5" is invalid/);
    assert.equal((await client.request(req(s.url))).text(), "second");
    assert.equal(s.connections(), 2, "the refused answer's connection is not reused");
    assert.equal((await client.request(req(s.url))).text(), "sam", "repeated equal lengths are one length");
  } finally {
    client.close();
    s.close();
  }
});

Deno.test("Http1Client stops the requests of an aborted signal only, with one listener per signal", async () => {
  const s = rawServer([{ bytes: OK, delayMs: 300 }]);
  const client = new Http1Client();
  const ac = new AbortController();
  let listeners = 0;
  const add = ac.signal.addEventListener.bind(ac.signal);
  const remove = ac.signal.removeEventListener.bind(ac.signal);
  ac.signal.addEventListener = ((...a: Parameters<typeof add>) => (listeners++, add(...a))) as typeof add;
  ac.signal.removeEventListener =
    ((...a: Parameters<typeof remove>) => (listeners--, remove(...a))) as typeof remove;
  try {
    // Two requests with the signal and one without; the signal ends them at 50 ms.
    const done = Promise.allSettled([
      client.request(req(s.url, { signal: ac.signal })),
      client.request(req(s.url, { signal: ac.signal })),
      client.request(req(s.url)),
    ]);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(listeners, 1, "one listener for the signal's requests");
    ac.abort(new Error("shutting down"));
    const [a, b, c] = await done;
    assert.match(String((a as PromiseRejectedResult).reason), /shutting down/);
    assert.match(String((b as PromiseRejectedResult).reason), /shutting down/);
    assert.equal((c as PromiseFulfilledResult<{ status: number }>).value.status, 200);
    assert.equal(listeners, 0, "no listener left once the signal's requests ended");
    // A signal that is never aborted keeps no listener once its requests ended.
    const idle = new AbortController();
    let idleListeners = 0;
    const idleAdd = idle.signal.addEventListener.bind(idle.signal);
    const idleRemove = idle.signal.removeEventListener.bind(idle.signal);
    idle.signal.addEventListener =
      ((...x: Parameters<typeof idleAdd>) => (idleListeners++, idleAdd(...x))) as typeof idleAdd;
    idle.signal.removeEventListener =
      ((...x: Parameters<typeof idleRemove>) => (idleListeners--, idleRemove(...x))) as typeof idleRemove;
    assert.equal((await client.request(req(s.url, { signal: idle.signal }))).status, 200);
    assert.equal(idleListeners, 0);
  } finally {
    client.close();
    s.close();
  }
});

Deno.test("Http1Client writes each request's own content-length with a head shared by its header list", async () => {
  const s = rawServer([{ bytes: OK }]);
  const client = new Http1Client();
  const headers: [string, string][] = [["content-type", "application/json"], ["x-key", "k"]];
  try {
    await client.request(req(s.url, { headers, body: enc.encode('{"a":1}') }));
    await client.request(req(s.url, { headers, body: enc.encode('{"a":"longer"}') }));
    await client.request(req(s.url, { headers, method: "PUT", body: enc.encode("{}") }));
    await client.request(req(s.url, { headers, method: "GET", body: undefined }));
    assert.match(
      s.requests[0],
      /^POST \/hook\?x=1 HTTP\/1\.1\r\n[^]*x-key: k\r\n[^]*content-length: 7\r\n\r\n\{"a":1\}$/,
    );
    assert.match(s.requests[1], /^POST [^]*content-length: 14\r\n\r\n\{"a":"longer"\}$/);
    assert.match(s.requests[2], /^PUT \/hook\?x=1 HTTP\/1\.1\r\n[^]*content-length: 2\r\n\r\n\{\}$/);
    assert.match(s.requests[3], /^GET \/hook\?x=1 HTTP\/1\.1\r\n[^]*accept: \*\/\*\r\n\r\n$/);
    assert.doesNotMatch(s.requests[3], /content-length/);
  } finally {
    client.close();
    s.close();
  }
});

Deno.test("Http1Client sends a text body as UTF-8, short after long and past its kept buffer", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (r) => {
    const bytes = new Uint8Array(await r.arrayBuffer());
    return new Response(`${r.headers.get("content-length")}:${new TextDecoder().decode(bytes)}`);
  });
  const url = new URL(`http://127.0.0.1:${server.addr.port}/t`);
  const client = new Http1Client();
  try {
    const send = async (body: string) =>
      (await client.request(req(url, { body, maxBodyBytes: 1 << 20 }))).text();
    const long = "é€😀 ".repeat(200);
    assert.equal(await send(long), `${enc.encode(long).length}:${long}`);
    assert.equal(await send("{}"), "2:{}", "nothing of the longer body before it is sent");
    const huge = "x".repeat(100_000) + "€";
    assert.equal(await send(huge), `100003:${huge}`);
    assert.equal(await send("ok"), "2:ok");
  } finally {
    client.close();
    await server.shutdown();
  }
});

Deno.test("Http1Client tries the next address when one refuses, and fails a refused connection", async () => {
  const s = rawServer([{ bytes: OK }]);
  const client = new Http1Client();
  try {
    const res = await client.request(req(s.url, { addresses: ["127.0.0.2", "127.0.0.1"] }));
    assert.equal(res.status, 200);
    await assert.rejects(() => client.request(req(new URL("http://127.0.0.1:1/"))), /refused/i);
    const aborted = new AbortController();
    aborted.abort(new Error("shutting down"));
    await assert.rejects(() => client.request(req(s.url, { signal: aborted.signal })), /shutting down/);
  } finally {
    client.close();
    s.close();
  }
});

Deno.test("Http1Client refuses a method that is not a token before connecting", async () => {
  const client = new Http1Client();
  await assert.rejects(
    () => client.request(req(new URL("http://127.0.0.1:1/"), { method: "POST / HTTP/1.1\r\nX: 1" })),
    /is not an HTTP method/,
  );
  client.close();
});

Deno.test("headerLine() refuses CR, LF and bad names, and leaves framing headers to the client", () => {
  assert.deepEqual(headerLine("X-Id", "  abc "), ["X-Id", "abc"]);
  assert.equal(headerLine("Content-Length", "5"), null);
  assert.equal(headerLine("transfer-encoding", "chunked"), null);
  assert.throws(() => headerLine("X-Id", "a\r\nX-Injected: 1"), /header "X-Id" has an invalid name or value/);
  assert.throws(() => headerLine("Bad Name", "v"), /invalid name/);
  assert.throws(() => headerLine("X-Secret", "sec\nret"), (e: Error) => !e.message.includes("sec"));
});

async function tlsFiles(): Promise<{ dir: string; ca: string; cert: string; key: string }> {
  const dir = await Deno.makeTempDir();
  const run = async (args: string[]) => {
    const out = await new Deno.Command("openssl", { args, cwd: dir, stdout: "null", stderr: "piped" })
      .output();
    if (!out.success) throw new Error(dec.decode(out.stderr));
  };
  await run([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=Test CA",
  ]);
  await run([
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "leaf.key",
    "-out",
    "leaf.csr",
    "-subj",
    "/CN=hook.test",
  ]);
  await Deno.writeTextFile(`${dir}/ext`, "subjectAltName=DNS:hook.test\nbasicConstraints=CA:FALSE\n");
  await run([
    "x509",
    "-req",
    "-in",
    "leaf.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "leaf.pem",
    "-days",
    "2",
    "-extfile",
    "ext",
  ]);
  return {
    dir,
    ca: await Deno.readTextFile(`${dir}/ca.pem`),
    cert: await Deno.readTextFile(`${dir}/leaf.pem`),
    key: await Deno.readTextFile(`${dir}/leaf.key`),
  };
}

Deno.test("Http1Client speaks TLS to the checked address and verifies the certificate against the URL's host", async () => {
  const f = await tlsFiles();
  const hosts: string[] = [];
  await using server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", cert: f.cert, key: f.key, onListen() {} },
    async (r) => {
      hosts.push(r.headers.get("host") ?? "");
      return new Response(await r.text());
    },
  );
  const port = server.addr.port;
  const client = new Http1Client({ caCerts: [f.ca] });
  try {
    const url = new URL(`https://hook.test:${port}/in`);
    for (let i = 0; i < 2; i++) {
      const res = await client.request(req(url, { addresses: ["127.0.0.1"] }));
      assert.equal(res.status, 200);
      assert.equal(res.text(), '{"a":1}');
    }
    assert.deepEqual(hosts, [`hook.test:${port}`, `hook.test:${port}`]);
    // The same server under a name its certificate does not carry is refused.
    await assert.rejects(() =>
      client.request(req(new URL(`https://other.test:${port}/in`), { addresses: ["127.0.0.1"] }))
    );
    const untrusting = new Http1Client();
    await assert.rejects(() => untrusting.request(req(url)), "a certificate from an unknown CA is refused");
    untrusting.close();
  } finally {
    client.close();
    await Deno.remove(f.dir, { recursive: true });
  }
});
