/**
 * In-process counters for `GET /metrics` (Prometheus text format 0.0.4). One registry per app, built in
 * compose.ts and handed over in Deps. Only counters live here; gauges (queue depth, pool use) are read
 * when scraped (src/api/metrics.ts). Every metric is declared in METRICS, so the output's families and
 * their help lines are fixed, and a label set is bounded by what code passes (routes are patterns, never
 * paths; statuses and types come from short fixed lists).
 */

/** The counters Sluice keeps, with their help text. */
export const METRICS = {
  sluice_http_requests_total: "HTTP requests answered, by route pattern, method and status.",
  sluice_http_request_duration_seconds_sum: "Seconds spent answering HTTP requests, by route pattern.",
  sluice_http_request_duration_seconds_count: "HTTP requests timed, by route pattern.",
  sluice_ingest_events_total:
    "Events offered to ingest, by result: accepted, refused (invalid), unauthorized (no or bad write key) or queue_full.",
  sluice_deliveries_total:
    "Events handed to a destination driver, by destination type and status (ok or failed).",
  sluice_pipeline_events_total:
    "Queue rows processed, by outcome: delivered, retried, dead_lettered, dropped.",
  sluice_function_runs_total: "Function chains run on an event, by result: ok, error or timeout.",
  sluice_http_connections_total:
    "Client connections, by event: accepted, refused (over the cap), timed_out (header or idle timeout), closed.",
  sluice_http_accept_errors_total:
    "Errors accepting a connection (such as Too many open files), each backed off.",
} as const;

export type MetricName = keyof typeof METRICS;
export type Labels = Record<string, string | number>;

/** The counters of one app. */
export class Metrics {
  readonly #values = new Map<MetricName, Map<string, number>>();

  /** Adds `n` (default 1) to the counter `name` with `labels`. */
  inc(name: MetricName, labels: Labels = {}, n = 1): void {
    let series = this.#values.get(name);
    if (!series) this.#values.set(name, series = new Map());
    const key = labelText(labels);
    series.set(key, (series.get(key) ?? 0) + n);
  }

  /** The current value of one series (tests). */
  value(name: MetricName, labels: Labels = {}): number {
    return this.#values.get(name)?.get(labelText(labels)) ?? 0;
  }

  /** Every counter as Prometheus text, followed by `gauges`. */
  render(gauges: Gauge[] = []): string {
    const out: string[] = [];
    for (const name of Object.keys(METRICS) as MetricName[]) {
      const family = name.replace(/_(sum|count)$/, "");
      const isPart = family !== name;
      if (!isPart || name.endsWith("_sum")) {
        out.push(`# HELP ${isPart ? family : name} ${METRICS[name]}`);
        out.push(`# TYPE ${isPart ? family : name} ${isPart ? "summary" : "counter"}`);
      }
      for (const [labels, value] of this.#values.get(name) ?? []) out.push(`${name}${labels} ${value}`);
    }
    for (const g of gauges) {
      out.push(`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} gauge`);
      for (const s of g.series) out.push(`${g.name}${labelText(s.labels ?? {})} ${s.value}`);
    }
    return out.join("\n") + "\n";
  }
}

/** A gauge read at scrape time. */
export interface Gauge {
  name: string;
  help: string;
  series: { labels?: Labels; value: number }[];
}

function labelText(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return "";
  keys.sort();
  return `{${keys.map((k) => `${k}="${escapeLabel(String(labels[k]))}"`).join(",")}}`;
}

// Prometheus text format: a label value escapes backslash, double quote and line feed.
function escapeLabel(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
