/**
 * Lease tokens: a claimer whose lease ran out while it worked, and whose rows another claimer took since,
 * changes none of them with its late commit, park, renewal, release or failure (both stores). The clock is
 * injected: the second claim happens after the first lease's end.
 */
import assert from "node:assert/strict";
import { fakeClock } from "../../src/clock.ts";
import { appendEvents, appendEventsInOneStatement } from "../../src/events_log/events_log.ts";
import type { Db } from "../../src/store/db.ts";
import {
  claimBatchRows,
  claimQueueRows,
  deleteQueueRows,
  extendQueueLease,
  failQueueRow,
  leasesOf,
  newLeaseToken,
  parkForBatch,
  releaseQueueRows,
} from "../../src/store/queue_repo.ts";
import { type QueueRow } from "../../src/store/queue_rows.ts";
import { STORES } from "../_helpers/db.ts";
import { queueRows } from "./fixtures.ts";

const LEASE_MS = 60_000;

const queue = queueRows;

type Seen = { id: string; batch: boolean; conn: string | null; until: number | null; lease: string | null };

async function rows(db: Db): Promise<Seen[]> {
  const r = await db.query<
    {
      id: string;
      batch: boolean;
      conn: string | null;
      until: Date | null;
      lease: string | null;
      attempts: number;
    }
  >(
    `select id::text as id, batch, connection_id as conn, locked_until as until, lease::text as lease
       from event_queue order by id`,
  );
  return r.map((x) => ({
    id: x.id,
    batch: x.batch,
    conn: x.conn,
    until: x.until === null ? null : new Date(x.until).getTime(),
    lease: x.lease,
  }));
}

const entry = (i: number) => ({
  workspaceId: "ws",
  actorId: "hook",
  type: "bulker_stream" as const,
  level: "info" as const,
  message: { status: "SUCCESS", messageId: `m${i}` },
});

for (const store of STORES) {
  Deno.test(`[${store.name}] a claimer whose lease ran out changes nothing of rows another claimer took since`, async () => {
    const db = await store.open();
    const clock = fakeClock(new Date("2026-04-01T10:00:00Z"));
    try {
      await queue(db, 3, clock.now());
      const [a, b] = [newLeaseToken(), newLeaseToken()];
      assert.notEqual(a, b);
      const claim = (lease: string) => {
        const now = clock.now();
        return claimQueueRows(db, { now, leaseUntil: new Date(now.getTime() + LEASE_MS), limit: 10, lease });
      };
      const rowsA = await claim(a);
      assert.equal(rowsA.length, 3);
      assert.ok(rowsA.every((r) => r.lease === a));
      assert.deepEqual(await claim(b), [], "leased to A");
      clock.advance(LEASE_MS + 1);
      const rowsB = await claim(b);
      assert.deepEqual(rowsB.map((r) => r.id), rowsA.map((r) => r.id), "A's lease ran out: B takes the rows");
      const heldByB = await rows(db);
      assert.ok(heldByB.every((r) => r.lease === b && r.until === clock.now().getTime() + LEASE_MS));

      // A, late: its chunk's commit (delete one row, park another for a batch-mode connection), in one
      // statement and the transaction's way, its lease renewal, release, park, failure and delete.
      const leasesA = leasesOf(rowsA);
      const [r0, r1, r2] = rowsA.map((r) => r.id);
      assert.equal(
        await appendEventsInOneStatement(db, [entry(0)], [r0], [{ id: r1, connectionId: "wh" }], [], leasesA),
        true,
      );
      await db.transaction((tx) => appendEvents(tx, [entry(2)], { deleteQueueIds: [r2], leases: leasesA }));
      await extendQueueLease(db, [r0, r1, r2], new Date(clock.now().getTime() + 10 * LEASE_MS), leasesA);
      await releaseQueueRows(db, [r0, r1, r2], leasesA);
      await parkForBatch(db, rowsA.map((r) => ({ id: r.id, connectionId: "wh", lease: r.lease })));
      await failQueueRow(db, { id: r0, availableAt: clock.now(), error: "late", lease: a });
      await deleteQueueRows(db, [r0, r1, r2], leasesA);
      assert.deepEqual(await rows(db), heldByB, "every row still B's, as B claimed it");
      const attempts = await db.query<{ n: number }>("select max(attempts)::int as n from event_queue");
      assert.equal(Number(attempts[0].n), 0);

      // B commits: one row delivered, one parked for its batch, one renewed.
      const leasesB = leasesOf(rowsB);
      assert.equal(
        await appendEventsInOneStatement(db, [entry(0)], [r0], [{ id: r1, connectionId: "wh" }], [], leasesB),
        true,
      );
      await extendQueueLease(db, [r2], new Date(clock.now().getTime() + 2 * LEASE_MS), leasesB);
      const afterB = await rows(db);
      assert.deepEqual(afterB, [
        { id: r1, batch: true, conn: "wh", until: null, lease: null },
        { id: r2, batch: false, conn: null, until: clock.now().getTime() + 2 * LEASE_MS, lease: b },
      ]);

      // C flushes the parked row's batch; A's second late park must not unlease it (a duplicate write).
      const c = newLeaseToken();
      const now = clock.now();
      const batch = await claimBatchRows(db, {
        workspaceId: "ws",
        connectionId: "wh",
        now,
        leaseUntil: new Date(now.getTime() + LEASE_MS),
        limit: 10,
        lease: c,
      });
      assert.deepEqual(batch.map((r: QueueRow) => [r.id, r.lease]), [[r1, c]]);
      await parkForBatch(db, [{ id: r1, connectionId: "wh", lease: a }]);
      assert.deepEqual((await rows(db))[0], {
        id: r1,
        batch: true,
        conn: "wh",
        until: now.getTime() + LEASE_MS,
        lease: c,
      });
      await appendEventsInOneStatement(db, [], [r1], [], [], leasesOf(batch));
      assert.deepEqual((await rows(db)).map((r) => r.id), [r2], "C's flush committed");
    } finally {
      await db.close();
    }
  });
}
