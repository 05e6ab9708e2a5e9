/** Pipeline test fixtures: a local webhook receiver and a stream -> (function) -> destination setup. */
import { createResource } from "../../src/services/resources.ts";
import type { Queryable } from "../../src/store/db.ts";
import { insertQueueRows } from "../../src/store/queue_repo.ts";
import type { TestUser } from "../_helpers/app.ts";

/** A local HTTP endpoint that records what it receives; `respond` decides each answer. */
export interface Receiver {
  url: string;
  bodies: Record<string, unknown>[];
  headers: Headers[];
  respond: (body: Record<string, unknown>) => number;
  /** Resolves once `n` bodies arrived (or rejects after `ms`). */
  waitFor(n: number, ms?: number): Promise<void>;
  close(): Promise<void>;
}

export function startReceiver(): Receiver {
  const r: Receiver = {
    url: "",
    bodies: [],
    headers: [],
    respond: () => 200,
    async waitFor(n, ms = 10_000) {
      const until = Date.now() + ms;
      while (r.bodies.length < n) {
        if (Date.now() > until) throw new Error(`receiver got ${r.bodies.length} of ${n} bodies in ${ms} ms`);
        await new Promise((res) => setTimeout(res, 10));
      }
    },
    close: async () => {},
  };
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const body = await req.json().catch(() => ({}));
    const status = r.respond(body);
    if (status < 300) {
      r.bodies.push(body);
      r.headers.push(req.headers);
    }
    return new Response(status < 300 ? "ok" : "nope", { status });
  });
  r.url = `http://127.0.0.1:${server.addr.port}/hook`;
  r.close = () => server.shutdown();
  return r;
}

export const BROWSER_KEY = "bk-test:browser-secret-0123456789";
export const SERVER_KEY = "sk-test:server-secret-0123456789";

export interface Setup {
  streamId: string;
  destinationId: string;
  connectionId: string;
  functionId: string | null;
  browserKey: string;
  serverKey: string;
}

let n = 0;

/** Creates a stream (one browser, one server key), a destination, an optional function and a connection. */
export async function setupPipeline(
  u: TestUser,
  { destination, functionCode, functionsEnv, keySuffix, connectionData, streamData }: {
    destination: Record<string, unknown>;
    /** More stream fields (`domains`, `authorizedJavaScriptDomains`, `strict`, ...). */
    streamData?: Record<string, unknown>;
    functionCode?: string;
    functionsEnv?: Record<string, string>;
    keySuffix?: string;
    /** More connection options (`mode`, `batchSize`, `frequency`, ...). */
    connectionData?: Record<string, unknown>;
  },
): Promise<Setup> {
  const suffix = keySuffix ?? String(++n) + crypto.randomUUID().slice(0, 6);
  const ws = u.workspace.id;
  const browserKey = BROWSER_KEY.replace("bk-test", `bk-${suffix}`);
  const serverKey = SERVER_KEY.replace("sk-test", `sk-${suffix}`);
  const [bId, bSecret] = browserKey.split(":");
  const [sId, sSecret] = serverKey.split(":");
  const stream = await createResource(u.ctx, {
    workspaceId: ws,
    type: "stream",
    data: {
      name: "site",
      publicKeys: [{ id: bId, plaintext: bSecret }],
      privateKeys: [{ id: sId, plaintext: sSecret }],
      ...streamData,
    },
  }) as { id: string };
  const dest = await createResource(u.ctx, {
    workspaceId: ws,
    type: "destination",
    data: { name: "dest", ...destination },
  }) as { id: string };
  let functionId: string | null = null;
  if (functionCode) {
    const f = await createResource(u.ctx, {
      workspaceId: ws,
      type: "function",
      data: { name: "fn", code: functionCode },
    }) as { id: string };
    functionId = f.id;
  }
  const conn = await createResource(u.ctx, {
    workspaceId: ws,
    type: "connection",
    data: {
      fromId: stream.id,
      toId: dest.id,
      type: "push",
      data: {
        ...(functionId ? { functions: [{ functionId: `udf.${functionId}` }] } : {}),
        ...(functionsEnv ? { functionsEnv } : {}),
        ...connectionData,
      },
    },
  }) as { id: string };
  return {
    streamId: stream.id,
    destinationId: dest.id,
    connectionId: conn.id,
    functionId,
    browserKey,
    serverKey,
  };
}

/** `Authorization: Basic` as Segment's SDKs send a write key. */
export function basicAuth(key: string): string {
  return `Basic ${btoa(`${key}:`)}`;
}

/** A connection's counts in the statistics rollup (minute rows summed) by status: `{ delivered: 5 }`. */
export async function connectionCounts(db: Queryable, connectionId: string): Promise<Record<string, number>> {
  const rows = await db.query<{ status: string; n: string }>(
    `select status, sum(events)::text as n from event_stat
      where connection_id = $1 and granularity = 'minute' group by status order by status`,
    [connectionId],
  );
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

/**
 * Queues `n` stream rows of workspace `ws`, stream `st` (payload `{"i": k}`), ready at `at`; returns the ids
 * of every row in the queue, in order.
 */
export async function queueRows(db: Queryable, n: number, at: Date): Promise<string[]> {
  await insertQueueRows(
    db,
    Array.from({ length: n }, (_, i) => ({
      workspaceId: "ws",
      streamId: "st",
      connectionId: null,
      payloadJson: JSON.stringify({ i }),
      attempts: 0,
      availableAt: at,
    })),
  );
  const rows = await db.query<{ id: string }>("select id::text as id from event_queue order by id");
  return rows.map((r) => r.id);
}
