import assert from "node:assert/strict";
import {
  type HttpListener,
  internalServeOnConnection,
  serveGuarded,
  type Socket,
} from "../../src/http/listener.ts";
import { memoryLogger } from "../../src/log.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

interface Started {
  server: HttpListener;
  port: number;
  lines: string[];
  [Symbol.asyncDispose](): Promise<void>;
}

function start(
  options: { headerTimeoutMs?: number; idleTimeoutMs?: number; maxConnections?: number } = {},
  handler: Deno.ServeHandler<Deno.NetAddr> = () => new Response("ok"),
  listener?: Socket,
): Started {
  const log = memoryLogger();
  const server = serveGuarded(handler, {
    hostname: "127.0.0.1",
    port: 0,
    headerTimeoutMs: options.headerTimeoutMs ?? 10_000,
    idleTimeoutMs: options.idleTimeoutMs ?? 10_000,
    maxConnections: options.maxConnections ?? 100,
    log,
    listener,
  });
  return {
    server,
    port: server.addr.port,
    lines: log.lines,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

function connect(port: number): Promise<Deno.TcpConn> {
  return Deno.connect({ hostname: "127.0.0.1", port });
}

/** Reads until the server closes the connection; what it sent, and after how many ms it closed. */
async function readToClose(conn: Deno.Conn, limitMs = 10_000): Promise<{ text: string; afterMs: number }> {
  const t0 = performance.now();
  const timer = setTimeout(() => conn.close(), limitMs);
  const buf = new Uint8Array(4096);
  let text = "";
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += dec.decode(buf.subarray(0, n));
    }
  } catch (e) {
    // A reset is a close too; our own close() on the time limit is not.
    if (e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted) {
      throw new Error(`the server did not close the connection within ${limitMs} ms`);
    }
  } finally {
    clearTimeout(timer);
  }
  try {
    conn.close();
  } catch { /* closed on the time limit */ }
  return { text, afterMs: performance.now() - t0 };
}

/** One GET on a kept-alive connection; the response's status line and body. */
async function get(conn: Deno.Conn, path: string): Promise<{ status: string; body: string }> {
  await conn.write(enc.encode(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`));
  const buf = new Uint8Array(4096);
  let text = "";
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) throw new Error(`closed mid-response: ${text}`);
    text += dec.decode(buf.subarray(0, n));
    const end = text.indexOf("\r\n\r\n");
    if (end < 0) continue;
    const length = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? "0");
    if (text.length >= end + 4 + length) {
      return { status: text.slice(0, text.indexOf("\r\n")), body: text.slice(end + 4, end + 4 + length) };
    }
  }
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

Deno.test("this Deno serves HTTP per connection, so the timeouts and the cap are on", async () => {
  assert.equal(typeof internalServeOnConnection(), "function", `Deno ${Deno.version.deno}`);
  await using s = start();
  assert.equal(s.server.guarded, true);
});

Deno.test("a client sending its request head one byte a second is disconnected after the header timeout", async () => {
  await using s = start({ headerTimeoutMs: 2000 });
  const conn = await connect(s.port);
  const head = enc.encode("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n\r\n");
  let sent = 0;
  let writing = true;
  const t0 = performance.now();
  const trickle = (async () => {
    while (writing && sent < head.length) {
      try {
        await conn.write(head.subarray(sent, sent + 1));
      } catch {
        return;
      }
      sent++;
      await sleep(1000);
    }
  })();
  const { text } = await readToClose(conn);
  const afterMs = performance.now() - t0;
  writing = false;
  await trickle;
  assert.equal(text, "", "no response: the head never completed");
  assert.ok(afterMs >= 1900, `closed after ${afterMs} ms, before the header timeout`);
  assert.ok(sent >= 2 && sent < head.length, `sent ${sent} bytes`);
  assert.equal(s.server.stats().timedOut, 1);
});

Deno.test("a kept-alive connection is closed after the idle timeout; one in use is not", async () => {
  await using s = start({ headerTimeoutMs: 500, idleTimeoutMs: 800 });
  const idle = await connect(s.port);
  const busy = await connect(s.port);
  assert.deepEqual(await get(idle, "/a"), { status: "HTTP/1.1 200 OK", body: "ok" });
  const closing = readToClose(idle);
  // Requests every 200 ms for 2 s: longer than both timeouts, never idle for either.
  for (let i = 0; i < 10; i++) {
    assert.equal((await get(busy, `/b${i}`)).status, "HTTP/1.1 200 OK");
    await sleep(200);
  }
  const { text, afterMs } = await closing;
  assert.equal(text, "");
  assert.ok(afterMs >= 700, `closed ${afterMs} ms after its response`);
  assert.equal((await get(busy, "/still-open")).body, "ok");
  busy.close();
});

Deno.test("a request handled for longer than both timeouts still gets its response", async () => {
  await using s = start({ headerTimeoutMs: 300, idleTimeoutMs: 300 }, async (_req, info) => {
    await sleep(1200);
    return new Response(`slow ${info.remoteAddr.hostname}`);
  });
  const conn = await connect(s.port);
  assert.deepEqual(await get(conn, "/slow"), { status: "HTTP/1.1 200 OK", body: "slow 127.0.0.1" });
  conn.close();
});

Deno.test("a handler that throws still starts the idle timeout", async () => {
  await using s = start({ idleTimeoutMs: 500 }, () => {
    throw new Error("handler bug");
  });
  const conn = await connect(s.port);
  assert.equal((await get(conn, "/")).status, "HTTP/1.1 500 Internal Server Error");
  const { afterMs } = await readToClose(conn);
  assert.ok(afterMs >= 400, `closed after ${afterMs} ms`);
  assert.ok(s.lines.some((l) => l.includes("handler bug")), s.lines.join("\n"));
});

Deno.test("past the connection cap a new connection gets 503 with Retry-After and is closed; room comes back", async () => {
  await using s = start({ maxConnections: 3 });
  const held = await Promise.all([connect(s.port), connect(s.port), connect(s.port)]);
  for (const c of held) assert.equal((await get(c, "/")).status, "HTTP/1.1 200 OK");
  const extra = await connect(s.port);
  const { text } = await readToClose(extra);
  assert.match(text, /^HTTP\/1\.1 503 Service Unavailable\r\n/);
  assert.match(text, /\r\nRetry-After: 1\r\n/);
  assert.match(text, /"code":"too_many_connections"/);
  assert.equal(s.server.stats().refused, 1);
  assert.equal(s.lines.filter((l) => l.includes("connection limit reached")).length, 1);

  held[0].close();
  for (let i = 0; i < 50 && s.server.stats().open > 2; i++) await sleep(20);
  const again = await connect(s.port);
  assert.equal((await get(again, "/")).body, "ok");
  for (const c of [again, held[1], held[2]]) c.close();
});

Deno.test("accept errors (Too many open files) back off and never stop the server", async () => {
  const real = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let failures = 3;
  const flaky: Socket = {
    addr: real.addr,
    accept() {
      if (failures-- > 0) {
        return Promise.reject(
          Object.assign(new Error("Too many open files (os error 24)"), { code: "EMFILE" }),
        );
      }
      return real.accept();
    },
    close: () => real.close(),
  };
  await using s = start({}, undefined, flaky);
  const conn = await connect(s.port);
  assert.equal((await get(conn, "/")).body, "ok");
  conn.close();
  assert.equal(s.server.stats().acceptErrors, 3);
  const warnings = s.lines.filter((l) => l.includes("accepting a connection failed"));
  assert.equal(warnings.length, 1, "one line per 10 s, not one per error");
  assert.match(warnings[0], /Too many open files/);
});

Deno.test("shutdown() closes idle connections at once and lets a request in flight finish", async () => {
  let started!: () => void;
  const inHandler = new Promise<void>((r) => started = r);
  const s = start({}, async (req) => {
    if (new URL(req.url).pathname === "/slow") {
      started();
      await sleep(500);
      return new Response("finished");
    }
    return new Response("ok");
  });
  const idle = await connect(s.port);
  assert.equal((await get(idle, "/")).body, "ok");
  const busy = await connect(s.port);
  const response = get(busy, "/slow");
  await inHandler;
  const stopped = s.server.shutdown();
  const { afterMs } = await readToClose(idle);
  assert.ok(afterMs < 400, `idle connection closed after ${afterMs} ms`);
  assert.deepEqual(await response, { status: "HTTP/1.1 200 OK", body: "finished" });
  await stopped;
  await s.server.finished;
  assert.equal(s.server.stats().open, 0);
  await assert.rejects(connect(s.port), Deno.errors.ConnectionRefused);
  busy.close();
});

Deno.test("on a Deno without per-connection serving it falls back to Deno.serve, serves, and says the limits are off", async () => {
  const key = (Deno as unknown as { internal: symbol }).internal;
  const internals = (Deno as unknown as Record<symbol, object>)[key];
  const saved = Object.getOwnPropertyDescriptor(internals, "serveHttpOnConnection")!;
  delete (internals as Record<string, unknown>).serveHttpOnConnection;
  let s: Started;
  try {
    assert.equal(internalServeOnConnection(), null);
    s = start({ headerTimeoutMs: 200 });
  } finally {
    Object.defineProperty(internals, "serveHttpOnConnection", saved);
  }
  await using _ = s;
  assert.equal(s.server.guarded, false);
  assert.match(s.lines.join("\n"), /HTTP timeouts and the connection cap are off/);
  const conn = await connect(s.port);
  assert.deepEqual(await get(conn, "/"), { status: "HTTP/1.1 200 OK", body: "ok" });
  conn.close();
  assert.equal(typeof internalServeOnConnection(), "function", "restored");
});
