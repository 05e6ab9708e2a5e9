/** Lanes: per-connection scheduling of claimed rows, without a database. */
import assert from "node:assert/strict";
import { Lanes } from "../../src/pipeline/lanes.ts";
import type { QueueRow } from "../../src/store/queue_rows.ts";

let nextId = 1;
function rows(streamId: string, n: number, connectionId: string | null = null): QueueRow[] {
  return Array.from({ length: n }, () => ({
    id: String(nextId++),
    workspaceId: "ws",
    streamId,
    connectionId,
    payloadJson: "{}",
    attempts: 0,
    availableAt: new Date(0),
    batch: false,
  }));
}

function lanes(process: (rows: QueueRow[]) => Promise<void>, perLane = 1) {
  return new Lanes({
    concurrency: 4,
    perLane,
    chunkRows: 3,
    laneRows: 6,
    process,
    onFree() {},
    renew: () => Promise.resolve(),
    renewMs: 60_000,
    onError() {},
  });
}

Deno.test("Lanes: while a lane is held, full() names it and other lanes' chunks all run", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const done: string[] = [];
  const l = lanes(async (chunk) => {
    if (chunk[0].streamId === "slow") await gate;
    done.push(...chunk.map((r) => r.streamId));
  });
  l.add(rows("slow", 7));
  const fast = l.add([...rows("fast", 5), ...rows("s2", 2, "conn-1")]);
  await fast;
  assert.equal(
    done.filter((s) => s === "fast").length,
    5,
    "the fast lane finished while the slow one is held",
  );
  assert.equal(done.filter((s) => s === "s2").length, 2, "a connection's own rows have their own lane");
  assert.equal(done.filter((s) => s === "slow").length, 0);
  assert.deepEqual(l.full(), { streams: ["ws/slow"], connections: [] });
  assert.equal(l.streamFull("ws/slow"), true);
  assert.equal(l.streamFull("ws/fast"), false);
  assert.equal(l.held, 7);
  release();
  await l.idle();
  assert.equal(done.filter((s) => s === "slow").length, 7);
  assert.deepEqual(l.full(), { streams: [], connections: [] });
  assert.equal(l.streamFull("ws/slow"), false);
});

Deno.test("Lanes: one lane's chunks are taken in claim order, at most perLane at once", async () => {
  let running = 0;
  let most = 0;
  const order: string[] = [];
  const l = lanes(async (chunk) => {
    running++;
    most = Math.max(most, running);
    order.push(...chunk.map((r) => r.id));
    await new Promise((r) => setTimeout(r, 5));
    running--;
  }, 2);
  const rs = rows("s", 10);
  await l.add(rs);
  assert.equal(most, 2);
  assert.deepEqual(order, rs.map((r) => r.id), "chunks start in claim order");
});

Deno.test("Lanes: a whole unit (a batch-mode batch) is one chunk whatever its size; stop() hands back what waits", async () => {
  const sizes: number[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const l = lanes(async (chunk) => {
    sizes.push(chunk.length);
    await gate;
  });
  l.add(rows("s", 10, "conn-b"), { whole: true });
  l.add(rows("s", 4, "conn-b"));
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(sizes, [10]);
  const stopping = l.stop();
  release();
  const waiting = await stopping;
  assert.equal(waiting.length, 4, "rows not started are handed back to be released");
  assert.equal(l.held, 0);
});
