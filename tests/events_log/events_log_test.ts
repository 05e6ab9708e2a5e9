import assert from "node:assert/strict";
import { appendEvents, type EventLogEntry, queryEvents } from "../../src/events_log/events_log.ts";
import { applyRetention } from "../../src/events_log/retention.ts";
import { type IngestedInsert, insertIngested } from "../../src/store/ingest_repo.ts";
import { ValidationError } from "../../src/errors.ts";
import { STORES } from "../_helpers/db.ts";

const T0 = new Date("2026-03-01T12:00:00.000Z");

function at(ms: number): Date {
  return new Date(T0.getTime() + ms);
}

function entry(over: Partial<EventLogEntry> = {}): EventLogEntry {
  return { workspaceId: "ws1", actorId: "s1", type: "incoming", level: "info", message: {}, ...over };
}

for (const store of STORES) {
  Deno.test(`[${store.name}] queryEvents() returns entries newest first with their messages`, async () => {
    const db = await store.open();
    try {
      await appendEvents(db, [
        entry({ timestamp: at(0), message: { n: 0, body: "first" } }),
        entry({ timestamp: at(2000), level: "error", message: { n: 2, error: "boom" } }),
        entry({ timestamp: at(1000), message: { n: 1 } }),
        entry({ actorId: "s2", timestamp: at(3000), message: { n: 3 } }),
        entry({ workspaceId: "ws2", timestamp: at(4000), message: { n: 4 } }),
        entry({ type: "function", actorId: "c1", timestamp: at(5000), message: { n: 5 } }),
      ]);
      const one = await queryEvents(db, { workspaceId: "ws1", actorId: "s1", type: "incoming" });
      assert.deepEqual(one.events.map((e) => e.message), [{ n: 2, error: "boom" }, { n: 1 }, {
        n: 0,
        body: "first",
      }]);
      assert.equal(one.nextCursor, null);
      assert.equal(one.events[0].level, "error");
      assert.equal(one.events[0].actorId, "s1");
      assert.equal(one.events[0].type, "incoming");
      assert.equal(one.events[0].timestamp.toISOString(), at(2000).toISOString());
      assert.match(one.events[0].id, /^\d+$/);

      const all = await queryEvents(db, { workspaceId: "ws1", type: "incoming" });
      assert.deepEqual(all.events.map((e) => (e.message as { n: number }).n), [3, 2, 1, 0]);
      const fn = await queryEvents(db, { workspaceId: "ws1", type: "function" });
      assert.deepEqual(fn.events.map((e) => e.actorId), ["c1"]);
    } finally {
      await db.close();
    }
  });

  Deno.test(`[${store.name}] queryEvents() filters by level, time range and text`, async () => {
    const db = await store.open();
    try {
      await appendEvents(db, [
        entry({ timestamp: at(0), level: "debug", message: { text: "Debugging 100%" } }),
        entry({ timestamp: at(1000), level: "warn", message: { text: "slow destination" } }),
        entry({ timestamp: at(2000), level: "error", message: { text: "Connection REFUSED" } }),
        entry({ timestamp: at(3000), level: "info", message: { text: "ok_100" } }),
      ]);
      const q = { workspaceId: "ws1", type: "incoming" as const };
      const levels = await queryEvents(db, { ...q, levels: ["error", "warn"] });
      assert.deepEqual(levels.events.map((e) => e.level), ["error", "warn"]);
      const range = await queryEvents(db, { ...q, start: at(1000), end: at(3000) });
      assert.deepEqual(range.events.map((e) => e.level), ["error", "warn"], "start inclusive, end exclusive");
      const search = await queryEvents(db, { ...q, search: "refused" });
      assert.deepEqual(search.events.map((e) => e.level), ["error"], "case-insensitive");
      const literal = await queryEvents(db, { ...q, search: "0%" });
      assert.deepEqual(literal.events.map((e) => e.level), ["debug"], "% is matched literally");
      const underscore = await queryEvents(db, { ...q, search: "k_1" });
      assert.deepEqual(underscore.events.map((e) => e.level), ["info"], "_ is matched literally");
    } finally {
      await db.close();
    }
  });

  Deno.test(`[${store.name}] queryEvents() pages with a cursor, also within one millisecond`, async () => {
    const db = await store.open();
    try {
      const entries: EventLogEntry[] = [];
      // 7 entries share one timestamp: the cursor must split them by id, not skip or repeat any.
      for (let i = 0; i < 12; i++) entries.push(entry({ timestamp: at(i < 7 ? 0 : i), message: { i } }));
      await appendEvents(db, entries);
      const seen: number[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: Awaited<ReturnType<typeof queryEvents>> = await queryEvents(db, {
          workspaceId: "ws1",
          type: "incoming",
          limit: 5,
          cursor,
        });
        seen.push(...page.events.map((e) => (e.message as { i: number }).i));
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      assert.equal(pages, 3);
      assert.deepEqual(seen.slice(0, 5), [11, 10, 9, 8, 7]);
      assert.deepEqual([...seen].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      await assert.rejects(
        () => queryEvents(db, { workspaceId: "ws1", type: "incoming", cursor: "not-a-cursor" }),
        (e) => e instanceof ValidationError && /cursor/.test(e.message),
      );
      await assert.rejects(
        () => queryEvents(db, { workspaceId: "ws1", type: "incoming", limit: 1001 }),
        ValidationError,
      );
    } finally {
      await db.close();
    }
  });

  Deno.test(`[${store.name}] queryEvents() across several or all sources merges them newest first, page by page`, async () => {
    const db = await store.open();
    try {
      const entries: EventLogEntry[] = [];
      // Four sources with interleaved and shared timestamps (ids past 9 within one: ordered as numbers),
      // errors among them, another workspace and another type beside them.
      for (let i = 0; i < 60; i++) {
        entries.push(entry({
          actorId: `s${i % 4}`,
          timestamp: at(i < 12 ? 0 : Math.floor(i / 3) * 10), // the first 12 share one: ids 9, 10, 11 among them
          level: i % 5 === 0 ? "error" : "info",
          message: { i },
        }));
      }
      entries.push(entry({ workspaceId: "ws2", actorId: "s0", timestamp: at(5), message: { i: -1 } }));
      entries.push(entry({ type: "function", actorId: "s1", timestamp: at(5), message: { i: -2 } }));
      await appendEvents(db, entries);
      const expected = async (actors: string[] | null, errorsOnly: boolean) =>
        (await db.query<{ i: number }>(
          `select (message::json->>'i')::int as i from events_log
            where workspace_id = 'ws1' and type = 'incoming'
              and ($1::text[] is null or actor_id = any($1::text[])) and (not $2 or level = 'error')
            order by timestamp desc, id desc`,
          [actors, errorsOnly],
        )).map((r) => r.i);
      for (const actorId of [undefined, ["s0", "s2", "nobody"], ["s3"]]) {
        for (const errorsOnly of [false, true]) {
          const seen: number[] = [];
          let cursor: string | null = null;
          do {
            const page: Awaited<ReturnType<typeof queryEvents>> = await queryEvents(db, {
              workspaceId: "ws1",
              type: "incoming",
              actorId,
              levels: errorsOnly ? ["error"] : undefined,
              limit: 7,
              cursor,
            });
            assert.ok(page.events.length <= 7);
            seen.push(...page.events.map((e) => (e.message as { i: number }).i));
            cursor = page.nextCursor;
          } while (cursor);
          const want = await expected(actorId ?? null, errorsOnly);
          assert.ok(want.length > 0);
          assert.deepEqual(seen, want, `${JSON.stringify(actorId)} errorsOnly=${errorsOnly}`);
        }
      }
      assert.deepEqual(
        (await queryEvents(db, { workspaceId: "ws1", type: "incoming", actorId: [] })).events,
        [],
      );
    } finally {
      await db.close();
    }
  });

  Deno.test(`[${store.name}] appendEvents() writes thousands of entries in chunks`, async () => {
    const db = await store.open();
    try {
      const entries = Array.from({ length: 2500 }, (_, i) => entry({ message: { i, s: "x".repeat(20) } }));
      await appendEvents(db, entries);
      await appendEvents(db, []);
      const rows = await db.query<{ n: number }>("select count(*)::int as n from events_log");
      assert.equal(rows[0].n, 2500);
    } finally {
      await db.close();
    }
  });

  Deno.test(`[${store.name}] applyRetention() keeps errors apart from successes and drops old entries`, async () => {
    const db = await store.open();
    try {
      const entries: EventLogEntry[] = [];
      for (let i = 0; i < 3; i++) {
        entries.push(entry({ level: "error", timestamp: at(i), message: { e: i } }));
      }
      // A later burst of successes, more than the cap.
      for (let i = 0; i < 8; i++) entries.push(entry({ timestamp: at(100 + i), message: { ok: i } }));
      entries.push(entry({ actorId: "old", timestamp: at(-8 * 86_400_000), message: { old: true } }));
      await appendEvents(db, entries);
      const r = await applyRetention(db, { now: at(1000), maxPerActorType: 5, maxAgeMs: 7 * 86_400_000 });
      assert.deepEqual(r, { expired: 1, overflow: 3, skipped: false });
      const errors = await queryEvents(db, { workspaceId: "ws1", type: "incoming", levels: ["error"] });
      assert.equal(errors.events.length, 3, "no error evicted by the burst");
      const ok = await queryEvents(db, { workspaceId: "ws1", type: "incoming", levels: ["info"] });
      assert.deepEqual(ok.events.map((e) => (e.message as { ok: number }).ok), [7, 6, 5, 4, 3]);
    } finally {
      await db.close();
    }
  });

  Deno.test(`[${store.name}] applyRetention() keeps the incoming entries of queued events until they leave the queue`, async () => {
    const db = await store.open();
    try {
      const item = (n: number, timestamp: Date): IngestedInsert => ({
        workspaceId: "ws1",
        streamId: "s1",
        level: "info",
        timestamp,
        messageJson: JSON.stringify({ body: JSON.stringify({ httpPayload: { n } }), status: "SUCCESS" }),
        queued: true,
      });
      // Three old and queued (a backlog), then four new and no longer queued.
      await insertIngested(db, [0, 1, 2].map((n) => item(n, at(-8 * 86_400_000 + n))));
      await insertIngested(db, [3, 4, 5, 6].map((n) => item(n, at(n))));
      const olderIds = await db.query<{ id: string }>("select id::text from event_queue order by id");
      await db.query("delete from event_queue where id > $1", [Number(olderIds[2].id)]);
      const left = async () =>
        (await queryEvents(db, { workspaceId: "ws1", type: "incoming" })).events.map((e) =>
          JSON.parse((e.message as { body: string }).body).httpPayload.n
        );
      const policy = { now: at(1000), maxPerActorType: 2, maxAgeMs: 7 * 86_400_000 };
      assert.deepEqual(await applyRetention(db, policy), { expired: 0, overflow: 2, skipped: false });
      assert.deepEqual(await left(), [6, 5, 2, 1, 0], "the queued ones outlive both the age and the count");
      await db.query("delete from event_queue where id = $1", [Number(olderIds[0].id)]);
      assert.deepEqual(await applyRetention(db, policy), { expired: 1, overflow: 0, skipped: false });
      assert.deepEqual(await left(), [6, 5, 2, 1], "processed: trimmed at the next run");
    } finally {
      await db.close();
    }
  });
}
