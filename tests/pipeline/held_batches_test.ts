import assert from "node:assert/strict";
import { type BatchConvert, HeldBatches } from "../../src/pipeline/held_batches.ts";
import type { QueueRow } from "../../src/store/queue_rows.ts";

function convert(id: number, connectionId = "c1", batchSize = 3, at = 0): BatchConvert {
  const row: QueueRow = {
    id: String(id),
    workspaceId: "w",
    streamId: "s",
    connectionId: null,
    payloadJson: "{}",
    attempts: 0,
    availableAt: new Date(at),
    batch: false,
  };
  return { id: row.id, connectionId, row, settings: { batchSize, frequencyMs: 60_000 } };
}

Deno.test("HeldBatches: a connection's batch is handed on, as its batch rows in id order, once it holds batchSize", () => {
  const due: QueueRow[][] = [];
  const held = new HeldBatches((rows) => due.push(rows), 100);
  assert.deepEqual(held.hold([convert(2), convert(1)]).park, []);
  assert.equal(held.flushFull(), 0, "2 of 3");
  const r = held.hold([convert(3), convert(4)]);
  assert.deepEqual(r.held, ["3", "4"]);
  assert.equal(due.length, 0, "not before flushFull (the chunk's commit)");
  assert.equal(held.flushFull(), 3);
  assert.deepEqual(due.map((b) => b.map((x) => [x.id, x.connectionId, x.batch])), [[
    ["1", "c1", true],
    ["2", "c1", true],
    ["3", "c1", true],
  ]]);
  assert.deepEqual(held.ids(), ["4"], "the next batch begins");
});

Deno.test("HeldBatches: a full batch whose chunk did not commit is not handed on short", () => {
  const due: string[][] = [];
  const held = new HeldBatches((rows) => due.push(rows.map((x) => x.id)), 100);
  held.hold([convert(1), convert(2)]);
  const r = held.hold([convert(3), convert(4)]);
  held.forget(r.held);
  assert.equal(held.flushFull(), 0);
  assert.deepEqual(held.ids().sort(), ["1", "2"]);
  held.hold([convert(3)]);
  assert.equal(held.flushFull(), 3);
  assert.deepEqual(due, [["1", "2", "3"]]);
});

Deno.test("HeldBatches: bounded in all; a row held already is neither held nor parked again; forget and takeAll", () => {
  const held = new HeldBatches(() => {}, 3);
  held.hold([convert(1, "a", 10), convert(2, "b", 10)]);
  const r = held.hold([convert(1, "a", 10), convert(3, "b", 10), convert(4, "a", 10)]);
  assert.deepEqual(r.held, ["3"]);
  assert.deepEqual(r.park.map((c) => c.id), ["4"], "over the bound of 3 rows in all");
  held.forget(["3"]);
  assert.deepEqual(held.ids().sort(), ["1", "2"]);
  assert.deepEqual(
    held.takeAll().sort((x, y) => x.id.localeCompare(y.id)),
    [{ id: "1", connectionId: "a" }, { id: "2", connectionId: "b" }],
  );
  assert.equal(held.size, 0);
});

Deno.test("HeldBatches: flushDue hands on the groups the check says are due, with their oldest row's time", async () => {
  const due: string[][] = [];
  const held = new HeldBatches((rows) => due.push(rows.map((x) => x.id)), 100);
  held.hold([convert(1, "a", 10, 500), convert(2, "a", 10, 100), convert(3, "b", 10, 900)]);
  const seen: [string, number][] = [];
  const n = await held.flushDue((g) => {
    seen.push([g.connectionId, g.oldest.getTime()]);
    return Promise.resolve(g.connectionId === "a");
  });
  assert.equal(n, 2);
  assert.deepEqual(seen, [["a", 100], ["b", 900]]);
  assert.deepEqual(due, [["1", "2"]]);
  assert.deepEqual(held.ids(), ["3"]);
});
