import assert from "node:assert/strict";
import { IngestWriter } from "../../src/ingest/writer.ts";
import type { Db } from "../../src/store/db.ts";
import type { IngestedInsert } from "../../src/store/ingest_repo.ts";

/** A store whose statements finish only when the test says: records each statement's event count. */
function gatedDb() {
  const statements: { events: number; done: boolean; finish(): void }[] = [];
  const db = {
    driver: "postgres",
    query(_text: string, params: unknown[]) {
      // insertIngested sends one text per column, events joined by a record separator.
      const events = String(params[0]).split("\x1e").length;
      return new Promise<unknown[]>((resolve) => {
        const s = {
          events,
          done: false,
          finish() {
            s.done = true;
            resolve([]);
          },
        };
        statements.push(s);
      });
    },
    notify: () => Promise.resolve(),
  } as unknown as Db;
  return { db, statements };
}

function item(i: number): IngestedInsert {
  return {
    workspaceId: "ws",
    streamId: "st",
    level: "info",
    timestamp: new Date(0),
    messageJson: `{"i":${i}}`,
    queued: true,
  };
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

Deno.test("IngestWriter: while a commit is in flight, a few events wait and join the next one; many start another", async () => {
  const { db, statements } = gatedDb();
  const w = new IngestWriter(db, { maxConcurrent: 4, minGroup: 5 });
  const done: number[] = [];
  const write = (i: number) => w.write([item(i)]).then(() => done.push(i));
  const first = write(0);
  await tick();
  assert.deepEqual(statements.map((s) => s.events), [1], "nothing in flight: the first event goes at once");
  const small = [1, 2, 3].map(write);
  await tick();
  assert.deepEqual(statements.map((s) => s.events), [1], "three waiting (under 5): no second commit");
  assert.equal(w.pending, 3);
  const more = [4, 5].map(write);
  await tick();
  assert.deepEqual(statements.map((s) => s.events), [1, 5], "five waiting: a second commit, in parallel");
  const late = write(6);
  await tick();
  statements[0].finish();
  await first;
  await tick();
  assert.deepEqual(statements.map((s) => s.events), [1, 5], "one event waits while the other commit runs");
  statements[1].finish();
  await Promise.all([...small, ...more]);
  await tick();
  assert.deepEqual(statements.map((s) => s.events), [1, 5, 1], "nothing in flight: it goes");
  statements[2].finish();
  await Promise.all([...small, ...more, late]);
  assert.deepEqual(done.sort(), [0, 1, 2, 3, 4, 5, 6]);
  assert.equal(w.pending, 0);
});

Deno.test("IngestWriter: commits in flight never exceed maxConcurrent, and a batch request is never split", async () => {
  const { db, statements } = gatedDb();
  const w = new IngestWriter(db, { maxConcurrent: 2, minGroup: 1 });
  const writes = [0, 1, 2].map((k) => w.write(Array.from({ length: 3 }, (_, i) => item(k * 10 + i))));
  await tick();
  assert.deepEqual(statements.map((s) => s.events), [3, 3], "two in flight; the third request waits");
  statements[0].finish();
  await tick();
  await tick();
  assert.deepEqual(statements.map((s) => s.events), [3, 3, 3]);
  statements[1].finish();
  statements[2].finish();
  await Promise.all(writes);
});

Deno.test("IngestWriter with gather (PGlite): events written before the next macrotask share the first commit", async () => {
  for (const gather of [false, true]) {
    const { db, statements } = gatedDb();
    const w = new IngestWriter(db, { maxConcurrent: 1, gather });
    const writes = [0, 1, 2].map((i) => w.write([item(i)]));
    await tick(5);
    assert.deepEqual(
      statements.map((s) => s.events),
      gather ? [3] : [1],
      gather ? "gathered into one commit" : "the first event went alone",
    );
    while (statements.some((s) => !s.done)) {
      for (const s of statements) if (!s.done) s.finish();
      await tick(5);
    }
    await Promise.all(writes);
  }
});

Deno.test("IngestWriter.close(): waits for the commits in flight and the events waiting, then refuses new writes", async () => {
  const { db, statements } = gatedDb();
  const w = new IngestWriter(db, { maxConcurrent: 1, minGroup: 1 });
  const written = [w.write([item(0)]), w.write([item(1)])];
  await tick();
  let closed = false;
  const closing = w.close().then(() => closed = true);
  await assert.rejects(w.write([item(2)]), /ingest writer is closed/);
  statements[0].finish();
  await tick();
  assert.equal(closed, false, "one event still waits for its commit");
  assert.equal(statements.length, 2, "the waiting event went after close() was called");
  statements[1].finish();
  await closing;
  await Promise.all(written);
  assert.equal(w.pending, 0);
  await w.close(); // nothing left: resolves at once
});
