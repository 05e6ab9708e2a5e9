/**
 * A real server against hostile uploads: a 200 MB chunked body to the sign-in form, a REST endpoint and the
 * OAuth token endpoint is refused with 413 while the server's resident memory barely moves (the limit holds
 * while reading).
 */
import assert from "node:assert/strict";
import { freshPostgresDatabase } from "../_helpers/db.ts";
import type { ServerProcess } from "../_helpers/process.ts";
import { startTarget } from "../faults/load.ts";

const TOTAL = 200 * 1024 * 1024;
const CHUNK = 256 * 1024;
const MAX_GROWTH = 50 * 1024 * 1024;

function mb(bytes: number): string {
  return (bytes / 1048576).toFixed(1);
}

function rssBytes(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/**
 * Streams a `TOTAL`-byte chunked body over a raw socket (fetch cannot be trusted to stop uploading when the
 * answer comes early) and returns the answer's status line, sending stops as soon as the answer starts.
 */
async function chunkedUpload(url: string, path: string, headers: Record<string, string>): Promise<string> {
  const { hostname, port } = new URL(url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  const enc = new TextEncoder();
  const head = [`POST ${path} HTTP/1.1`, `Host: ${hostname}:${port}`, "Transfer-Encoding: chunked"]
    .concat(Object.entries(headers).map(([k, v]) => `${k}: ${v}`));
  let answer = "";
  const answered = (async () => {
    const buf = new Uint8Array(4096);
    const n = await conn.read(buf);
    answer = n ? new TextDecoder().decode(buf.subarray(0, n)) : "";
  })();
  try {
    await conn.write(enc.encode(head.join("\r\n") + "\r\n\r\n"));
    const chunk = new Uint8Array([
      ...enc.encode(`${CHUNK.toString(16)}\r\n`),
      ...new Uint8Array(CHUNK).fill(0x61),
      13,
      10,
    ]);
    for (let sent = 0; sent < TOTAL && answer === ""; sent += CHUNK) {
      const write = conn.write(chunk).then(() => true, () => false);
      if (!await Promise.race([write, answered.then(() => false)])) break;
    }
    await answered;
  } finally {
    try {
      conn.close();
    } catch { /* already closed by the server */ }
  }
  return answer.split("\r\n")[0];
}

/** Runs `upload` while sampling the server's RSS every 50 ms; returns the status line and the peak growth. */
async function measured(server: ServerProcess, upload: () => Promise<string>) {
  const before = rssBytes(server.pid);
  let peak = before;
  const sampler = setInterval(() => peak = Math.max(peak, rssBytes(server.pid)), 50);
  try {
    const status = await upload();
    peak = Math.max(peak, rssBytes(server.pid));
    return { status, growth: peak - before };
  } finally {
    clearInterval(sampler);
  }
}

Deno.test({
  name:
    "a 200 MB chunked body to /login, REST and /oauth/token is a 413 and the server's RSS grows under 50 MB",
  sanitizeResources: false,
  async fn() {
    const db = await freshPostgresDatabase();
    const { server, auth, ws } = await startTarget(db.url);
    try {
      const login = await measured(
        server,
        () => chunkedUpload(server.url, "/login", { "Content-Type": "application/x-www-form-urlencoded" }),
      );
      assert.match(login.status, / 413 /, login.status);
      assert.ok(login.growth < MAX_GROWTH, `/login: RSS grew ${mb(login.growth)} MB`);

      const rest = await measured(server, () =>
        chunkedUpload(server.url, `/api/${ws}/config/function`, {
          "Content-Type": "application/json",
          Authorization: auth,
        }));
      assert.match(rest.status, / 413 /, rest.status);
      assert.ok(rest.growth < MAX_GROWTH, `REST: RSS grew ${mb(rest.growth)} MB`);
      const started = performance.now();
      const token = await measured(
        server,
        () =>
          chunkedUpload(server.url, "/oauth/token", { "Content-Type": "application/x-www-form-urlencoded" }),
      );
      const seconds = (performance.now() - started) / 1000;
      assert.match(token.status, / 413 /, token.status);
      // A guard against reading the whole body first (that took 15-22 s for 100 MB), not a benchmark.
      assert.ok(seconds < 5, `/oauth/token answered after ${seconds.toFixed(1)} s`);
      assert.ok(
        token.growth < MAX_GROWTH,
        `/oauth/token: RSS grew ${mb(token.growth)} MB`,
      );
      console.log(
        `RSS growth: /login ${mb(login.growth)} MB, REST ${mb(rest.growth)} MB, /oauth/token ${
          mb(token.growth)
        } MB;`,
        `/oauth/token answered in ${seconds.toFixed(2)} s`,
      );
    } finally {
      await server.stop();
      await db.drop();
    }
  },
});
