/**
 * The real server (startServer on the app) with HTTP_HEADER_TIMEOUT_MS, HTTP_IDLE_TIMEOUT_MS and
 * HTTP_MAX_CONNECTIONS made small through the settings: slow, idle and surplus clients are let go, and
 * normal ones are served. tests/http/listener_test.ts covers the listener's edge cases on its own.
 */
import assert from "node:assert/strict";
import type { Metrics } from "../../src/metrics/registry.ts";
import { startServer } from "../../src/server.ts";
import { testApp } from "../_helpers/app.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Reads until the server closes; what it sent and after how many ms. Fails if it stays open 15 s. */
async function readToClose(conn: Deno.Conn): Promise<{ text: string; afterMs: number }> {
  const t0 = performance.now();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    conn.close();
  }, 15_000);
  const buf = new Uint8Array(8192);
  let text = "";
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += dec.decode(buf.subarray(0, n));
    }
  } catch { /* a reset is a close too */ }
  clearTimeout(timer);
  assert.equal(timedOut, false, "the server never closed the connection");
  conn.close();
  return { text, afterMs: performance.now() - t0 };
}

async function withServer(
  env: Record<string, string>,
  fn: (port: number, metrics: Metrics) => Promise<void>,
) {
  const t = await testApp({ env });
  const server = await startServer(t.deps, { port: 0, hostname: "127.0.0.1" });
  try {
    await fn(Number(new URL(server.url).port), t.deps.metrics);
  } finally {
    await server.shutdown();
  }
}

Deno.test("HTTP_HEADER_TIMEOUT_MS: a request head sent one byte a second is cut off, a prompt one is served", async () => {
  await withServer({ HTTP_HEADER_TIMEOUT_MS: "2500", HTTP_IDLE_TIMEOUT_MS: "10000" }, async (port) => {
    const slow = await Deno.connect({ hostname: "127.0.0.1", port });
    const head = enc.encode("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let sent = 0;
    const trickle = (async () => {
      for (; sent < head.length; sent++) {
        try {
          await slow.write(head.subarray(sent, sent + 1));
        } catch {
          return;
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    const t0 = performance.now();
    const prompt = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(prompt.status, 200);
    await prompt.body?.cancel();
    const { text } = await readToClose(slow);
    const afterMs = performance.now() - t0;
    await trickle;
    assert.equal(text, "");
    assert.ok(afterMs >= 2300, `cut off after ${afterMs} ms`);
    assert.ok(sent < head.length, `it sent ${sent} of ${head.length} bytes`);
  });
});

Deno.test("HTTP_IDLE_TIMEOUT_MS: a kept-alive connection is closed that long after its last response", async () => {
  await withServer(
    { HTTP_HEADER_TIMEOUT_MS: "10000", HTTP_IDLE_TIMEOUT_MS: "1500" },
    async (port, metrics) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(enc.encode("GET /version HTTP/1.1\r\nHost: localhost\r\n\r\n"));
      const { text, afterMs } = await readToClose(conn);
      assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(text, /"name":"sluice"/);
      assert.ok(afterMs >= 1400, `closed ${afterMs} ms after the request`);
      assert.equal(metrics.value("sluice_http_connections_total", { event: "timed_out" }), 1);
    },
  );
});

Deno.test("HTTP_MAX_CONNECTIONS: one connection more than the cap gets 503 with Retry-After, counted in metrics", async () => {
  await withServer({ HTTP_MAX_CONNECTIONS: "2" }, async (port, metrics) => {
    const held = [
      await Deno.connect({ hostname: "127.0.0.1", port }),
      await Deno.connect({ hostname: "127.0.0.1", port }),
    ];
    const extra = await Deno.connect({ hostname: "127.0.0.1", port });
    const { text } = await readToClose(extra);
    assert.match(text, /^HTTP\/1\.1 503 Service Unavailable\r\n/);
    assert.match(text, /\r\nRetry-After: 1\r\n/);
    assert.equal(metrics.value("sluice_http_connections_total", { event: "refused" }), 1);
    assert.equal(metrics.value("sluice_http_connections_total", { event: "accepted" }), 2);
    for (const c of held) c.close();
  });
});
