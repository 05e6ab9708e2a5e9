/** Batch-mode test fixtures: a connection's batch settings, a stream that batches, a Segment batch sent. */
import assert from "node:assert/strict";
import { createResource } from "../../src/services/resources.ts";
import type { Db } from "../../src/store/db.ts";
import { expectJson, type TestApp } from "../_helpers/app.ts";
import type { Target } from "../destinations/_targets.ts";
import { setupPipeline } from "./fixtures.ts";

/** Batches of 5 events, or whatever waited an hour. */
export const BATCH = { mode: "batch", batchSize: 5, frequency: 60 };

let seq = 0;

/** Sends `n` track events in one Segment batch; returns their message ids. */
export async function send(t: TestApp, key: string, n: number): Promise<string[]> {
  const batch = Array.from({ length: n }, () => ({
    type: "track",
    event: "Order Completed",
    messageId: `bm-${++seq}-${crypto.randomUUID().slice(0, 8)}`,
    userId: "u1",
    properties: { total: seq },
  }));
  const res = await t.request("/v1/batch", {
    method: "POST",
    headers: { "x-write-key": key },
    json: { batch },
  });
  assert.equal((await expectJson(res, 200)).okEvents, n);
  return batch.map((e) => e.messageId);
}

/**
 * A stream whose events go to the warehouse in batch mode (BATCH) and, with `streamToo`, first to devnull in
 * stream mode (the row is then parked by the chunk's commit, never held in memory). Returns its server key.
 */
export async function batchStream(t: TestApp, wh: Target, streamToo: boolean): Promise<string> {
  const u = await t.user();
  const s = await setupPipeline(u, {
    destination: streamToo
      ? { destinationType: "devnull" }
      : { destinationType: "postgres", ...wh.credentials },
    connectionData: streamToo ? {} : BATCH,
  });
  if (streamToo) {
    const d = await createResource(u.ctx, {
      workspaceId: u.workspace.id,
      type: "destination",
      data: { name: "pg", destinationType: "postgres", ...wh.credentials },
    }) as { id: string };
    await createResource(u.ctx, {
      workspaceId: u.workspace.id,
      type: "connection",
      data: { fromId: s.streamId, toId: d.id, type: "push", data: BATCH },
    });
  }
  return s.serverKey;
}

/** `db` with `after` run once each query has its result, before the caller gets it (it may hold it back). */
export function afterQueries(db: Db, after: (sql: string) => Promise<void> | void): Db {
  return new Proxy(db, {
    get(target, p) {
      const v = Reflect.get(target, p, target);
      if (p !== "query") return typeof v === "function" ? v.bind(target) : v;
      return async (sql: string, params?: unknown[]) => {
        const r = await target.query(sql, params);
        await after(sql);
        return r;
      };
    },
  });
}
