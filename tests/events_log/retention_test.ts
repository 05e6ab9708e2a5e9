import assert from "node:assert/strict";
import { fakeClock } from "../../src/clock.ts";
import { appendEvents, queryEvents } from "../../src/events_log/events_log.ts";
import { startRetention } from "../../src/events_log/retention.ts";
import { memoryLogger } from "../../src/log.ts";
import { testPglite } from "../_helpers/db.ts";

Deno.test("startRetention() trims the log on its interval until stopped", async () => {
  const db = await testPglite();
  const clock = fakeClock(new Date("2026-02-01T00:00:00Z"));
  const log = memoryLogger();
  const stop = startRetention({ db, clock, log }, { everyMs: 20, maxAgeMs: 86_400_000 });
  try {
    const old = new Date("2026-01-30T00:00:00Z");
    await appendEvents(db, [
      {
        workspaceId: "w",
        actorId: "a",
        type: "incoming",
        level: "info",
        timestamp: old,
        message: { old: true },
      },
      {
        workspaceId: "w",
        actorId: "a",
        type: "incoming",
        level: "info",
        timestamp: clock.now(),
        message: { ok: 1 },
      },
    ]);
    let left = 2;
    for (let i = 0; i < 100 && left !== 1; i++) {
      await new Promise((r) => setTimeout(r, 20));
      left = (await queryEvents(db, { workspaceId: "w", type: "incoming" })).events.length;
    }
    assert.equal(left, 1, "the entry older than maxAgeMs is gone");
    assert.ok(log.lines.some((l) => l.includes("events log trimmed")));
  } finally {
    stop();
    await db.close();
  }
});
