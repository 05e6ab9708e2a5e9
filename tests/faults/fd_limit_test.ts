import assert from "node:assert/strict";
import { startSluice } from "../_helpers/process.ts";

const CONNECTIONS = 1100;
const HEADER_TIMEOUT_MS = 3000;

type Outcome = "refused" | "closed at once" | "timed out" | "open";

/**
 * Reads one connection to its end: "refused" (a 503 came), "closed at once" (closed without a word before the
 * header timeout: a refusal during a burst), "timed out" (closed by the header timeout) or "open".
 */
async function outcome(conn: Deno.Conn, limitMs: number, t0: number): Promise<Outcome> {
  let open = false;
  const timer = setTimeout(() => {
    open = true;
    conn.close();
  }, limitMs);
  const buf = new Uint8Array(512);
  let text = "";
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
  } catch {
    // a reset is a close too
  } finally {
    clearTimeout(timer);
  }
  if (open) return "open";
  try {
    conn.close();
  } catch { /* closed */ }
  if (text.startsWith("HTTP/1.1 503 ")) return "refused";
  return performance.now() - t0 < HEADER_TIMEOUT_MS - 500 ? "closed at once" : "timed out";
}

Deno.test("under ulimit -n 1024, 1,100 idle connections are refused past the cap or timed out; the server lives and answers after", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "sluice-fd-" });
  const server = await startSluice({
    DATA_DIR: dataDir,
    HTTP_HEADER_TIMEOUT_MS: String(HEADER_TIMEOUT_MS),
    HTTP_IDLE_TIMEOUT_MS: String(HEADER_TIMEOUT_MS),
  }, { fileLimit: 1024 });
  try {
    const lowered = server.log().split("\n").filter((l) => l.includes("HTTP_MAX_CONNECTIONS lowered"));
    assert.equal(lowered.length, 1, server.log());
    const { enforced, ulimit } = JSON.parse(lowered[0]);
    assert.equal(ulimit, 1024);
    assert.ok(enforced > 100 && enforced < 1024, `cap ${enforced}`);

    const { hostname, port } = new URL(server.url);
    // Each connection is read from the moment it connected: opening 1,100 of them one by one can itself
    // outlast the header timeout on a busy machine, and a close must be timed from when it happened.
    const pending: Promise<Outcome>[] = [];
    for (let i = 0; i < CONNECTIONS; i++) {
      const conn = await Deno.connect({ hostname, port: Number(port) });
      pending.push(outcome(conn, HEADER_TIMEOUT_MS + 15_000, performance.now()));
    }
    const outcomes = await Promise.all(pending);
    const count = (o: Outcome) => outcomes.filter((x) => x === o).length;
    const counts = `refused ${count("refused")}, closed at once ${count("closed at once")}, timed out ${
      count("timed out")
    }, cap ${enforced}`;
    assert.equal(count("open"), 0, `every idle connection was closed by the server: ${counts}`);
    assert.ok(count("refused") > 0, counts);
    assert.ok(count("refused") + count("closed at once") >= CONNECTIONS - enforced, counts);
    assert.ok(count("timed out") > 100 && count("timed out") <= enforced, counts);

    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
    assert.doesNotMatch(server.log(), /Too many open files/);
    assert.match(server.log(), /connection limit reached/);

    // SIGTERM with idle connections open still ends the process promptly and cleanly.
    const idle = await Promise.all(
      Array.from({ length: 200 }, () => Deno.connect({ hostname, port: Number(port) })),
    );
    const t0 = performance.now();
    assert.equal(await server.stop(), 0, server.log());
    assert.ok(performance.now() - t0 < 10_000, "SIGTERM ends the process within 10 s");
    for (const c of idle) c.close();
  } finally {
    await server.stop().catch(() => {});
    await Deno.remove(dataDir, { recursive: true });
  }
});
