/**
 * `GET /metrics`: Prometheus text format. Off unless METRICS_TOKEN is set (then it answers 404, as for
 * any unknown path); with it, the scraper sends `Authorization: Bearer <METRICS_TOKEN>`. Counters come
 * from the app's registry (src/metrics/registry.ts); the queue and the connection pool are read now.
 */
import { Hono } from "hono";
import { timingSafeEqual } from "../auth/crypto.ts";
import { bearerToken } from "../auth/authenticate.ts";
import type { Deps } from "../deps.ts";
import type { AppEnv } from "../http/env.ts";
import type { Gauge } from "../metrics/registry.ts";
import { oldestQueuedAt, queueDepth } from "../store/queue_repo.ts";

/** The metrics router. */
export function metricsRouter() {
  const app = new Hono<AppEnv>();
  app.get("/metrics", async function metrics(c) {
    const deps = c.get("deps");
    const token = deps.config.metricsToken;
    if (!token) return c.notFound();
    const sent = bearerToken(c.req.header("authorization"));
    if (!sent || !timingSafeEqual(sent, token)) {
      return c.json(
        { error: { code: "unauthorized", message: "Send Authorization: Bearer <METRICS_TOKEN>" } },
        401,
        {
          "WWW-Authenticate": 'Bearer realm="metrics"',
        },
      );
    }
    const gauges = await readGauges(deps);
    return c.body(deps.metrics.render(gauges), 200, {
      "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
      "Cache-Control": "no-store",
    });
  });
  return app;
}

async function readGauges(deps: Deps): Promise<Gauge[]> {
  const gauges: Gauge[] = [];
  try {
    // Bounded like back-pressure's figure: exact up to QUEUE_MAX_DEPTH + 1, never a count of a huge queue.
    const depth = await queueDepth(deps.db, deps.config.queueMaxDepth + 1);
    const oldest = await oldestQueuedAt(deps.db);
    gauges.push(
      { name: "sluice_queue_depth", help: "Queue rows waiting or in progress.", series: [{ value: depth }] },
      {
        name: "sluice_queue_oldest_age_seconds",
        help: "Age of the oldest queue row (0 when the queue is empty).",
        series: [{ value: oldest ? Math.max(0, (deps.clock.now().getTime() - oldest.getTime()) / 1000) : 0 }],
      },
      {
        name: "sluice_database_up",
        help: "1 when the database answered this scrape.",
        series: [{ value: 1 }],
      },
    );
  } catch (e) {
    deps.log.warn("metrics: cannot read the queue", { error: e });
    gauges.push({
      name: "sluice_database_up",
      help: "1 when the database answered this scrape.",
      series: [{ value: 0 }],
    });
  }
  gauges.push({
    name: "sluice_ingest_pending_events",
    help: "Events accepted by this instance and waiting for their commit.",
    series: [{ value: deps.ingest.writer.pending }],
  });
  const pool = deps.db.poolStats?.();
  if (pool) {
    gauges.push(
      {
        name: "sluice_db_statements_in_flight",
        help: "Statements in flight on this instance's statement connections.",
        series: [{ value: pool.statementsInFlight }],
      },
      {
        name: "sluice_db_transactions",
        help: "This instance's transaction connections, by state: active, max, waiting (for a connection).",
        series: [
          { labels: { state: "active" }, value: pool.transactionsActive },
          { labels: { state: "max" }, value: pool.transactionsMax },
          { labels: { state: "waiting" }, value: pool.transactionsWaiting },
        ],
      },
    );
  }
  return gauges;
}
