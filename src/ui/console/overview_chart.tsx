/**
 * The Overview's events-over-time chart: incoming, delivered and errors from getEventStat (the service
 * behind `GET /api/{ws}/stat`), the last 24 hours by hour or the last 7 days by day, for the whole
 * workspace, one stream or one connection. Inline SVG (no script, no asset) with a title, a description
 * and a visually hidden table of the same numbers; a GET form switches range and source.
 */
import { getEventStat } from "../../services/event_stat.ts";
import { listResources } from "../../services/resources.ts";
import type { ConsolePage } from "./shell.tsx";

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const RANGES = {
  "24h": { label: "Last 24 hours", granularity: "hour", step: HOUR, periods: 24 },
  "7d": { label: "Last 7 days", granularity: "day", step: DAY, periods: 7 },
} as const;
type RangeKey = keyof typeof RANGES;

const SERIES = [
  { key: "incoming", label: "Incoming", color: "#2454d6", dash: undefined, statuses: ["incoming"] },
  { key: "delivered", label: "Delivered", color: "#1f8a3b", dash: "6 3", statuses: ["delivered"] },
  { key: "errors", label: "Errors", color: "#c62f2f", dash: "2 3", statuses: ["error", "dead_letter"] },
] as const;
type SeriesKey = typeof SERIES[number]["key"];

interface Source {
  value: string;
  label: string;
}

/** What the chart shows: one point per period, oldest first. */
export interface ChartData {
  range: RangeKey;
  source: string;
  sourceLabel: string;
  sources: { streams: Source[]; connections: Source[] };
  points: { period: string; counts: Record<SeriesKey, number> }[];
  /** A query value the chart could not use, named with its field. */
  error: string | null;
}

async function sourcesOf(page: ConsolePage) {
  const list = async (type: "stream" | "connection") => {
    const { objects } = await listResources(page.ctx, { workspaceId: page.workspace.id, type, limit: 100 });
    return (objects as { id: string; name?: string }[]).map((o) => ({
      value: `${type}:${o.id}`,
      label: `${type === "stream" ? "Stream" : "Connection"}: ${o.name || o.id}`,
    }));
  };
  const [streams, connections] = await Promise.all([list("stream"), list("connection")]);
  return { streams, connections };
}

/** Reads `range` and `source` from the page's query and counts the events to draw. */
export async function overviewChartData(page: ConsolePage): Promise<ChartData> {
  const errors: string[] = [];
  const rangeParam = page.c.req.query("range") ?? "24h";
  let range: RangeKey = "24h";
  if (rangeParam in RANGES) range = rangeParam as RangeKey;
  else errors.push(`range: must be 24h or 7d (got "${rangeParam.slice(0, 40)}")`);
  const sources = await sourcesOf(page);
  const sourceParam = page.c.req.query("source") ?? "";
  let source = "";
  const known = [...sources.streams, ...sources.connections].find((s) => s.value === sourceParam);
  if (known) source = sourceParam;
  else if (sourceParam) errors.push(`source: no stream or connection "${sourceParam.slice(0, 80)}" here`);

  const r = RANGES[range];
  // Whole periods ending with the current one (UTC hours or days), as the rollup counts them.
  const now = page.ctx.clock.now().getTime();
  const end = Math.floor(now / r.step) * r.step + r.step;
  const start = end - r.periods * r.step;
  const [kind, id] = source ? source.split(/:(.*)/s) : ["", ""];
  const stat = await getEventStat(page.ctx, {
    workspaceId: page.workspace.id,
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
    granularity: r.granularity,
    status: SERIES.flatMap((s) => [...s.statuses]),
    ...(kind === "stream" ? { streamId: id } : kind === "connection" ? { connectionId: id } : {}),
  });
  const byPeriod = new Map<number, Record<SeriesKey, number>>();
  for (let t = start; t < end; t += r.step) byPeriod.set(t, { incoming: 0, delivered: 0, errors: 0 });
  for (const row of stat.rows) {
    const t = Math.floor(Date.parse(row.period) / r.step) * r.step;
    const series = SERIES.find((s) => (s.statuses as readonly string[]).includes(row.status));
    const counts = byPeriod.get(t);
    if (series && counts) counts[series.key] += row.events;
  }
  return {
    range,
    source,
    sourceLabel: known?.label ?? "All streams and connections",
    sources,
    points: [...byPeriod].map(([t, counts]) => ({ period: new Date(t).toISOString(), counts })),
    error: errors.length ? errors.join("; ") : null,
  };
}

function periodLabel(iso: string, range: RangeKey) {
  return range === "24h" ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(0, 10);
}

// A small viewBox, so its 11-unit labels stay readable when scaled down to a 390 px phone.
const W = 360;
const H = 170;
const PAD = { left: 34, right: 8, top: 10, bottom: 22 };

function niceMax(n: number) {
  if (n <= 4) return 4;
  const mag = 10 ** Math.floor(Math.log10(n));
  return [1, 2, 2.5, 5, 10].map((m) => m * mag).find((m) => m >= n) ?? 10 * mag;
}

function ChartSvg({ data }: { data: ChartData }) {
  const pts = data.points;
  const max = niceMax(Math.max(0, ...pts.flatMap((p) => SERIES.map((s) => p.counts[s.key]))));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (pts.length < 2 ? plotW / 2 : (i * plotW) / (pts.length - 1));
  const y = (n: number) => PAD.top + plotH - (n / max) * plotH;
  const labelEvery = data.range === "24h" ? 6 : 1;
  const totals = SERIES.map((s) =>
    `${s.label.toLowerCase()} ${pts.reduce((a, p) => a + p.counts[s.key], 0)}`
  );
  return (
    <svg
      class="chart"
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-labelledby="chart-title chart-desc"
    >
      <title id="chart-title">Events, {RANGES[data.range].label.toLowerCase()}: {data.sourceLabel}</title>
      <desc id="chart-desc">
        Incoming, delivered and error counts per{" "}
        {data.range === "24h" ? "hour" : "day"}, oldest first. Totals:{" "}
        {totals.join(", ")}. The table below the chart has every number.
      </desc>
      {[0, 0.5, 1].map((f) => (
        <g>
          <line x1={PAD.left} x2={W - PAD.right} y1={y(max * f)} y2={y(max * f)} stroke="#dde1e6" />
          <text x={PAD.left - 6} y={y(max * f) + 4} text-anchor="end" font-size="11" fill="#5c6773">
            {max * f}
          </text>
        </g>
      ))}
      {pts.map((p, i) =>
        i % labelEvery === 0
          ? (
            <text x={x(i)} y={H - 6} text-anchor="middle" font-size="11" fill="#5c6773">
              {data.range === "24h" ? p.period.slice(11, 16) : p.period.slice(5, 10)}
            </text>
          )
          : null
      )}
      {[...SERIES].reverse().map((s) => (
        <polyline
          fill="none"
          stroke={s.color}
          stroke-dasharray={s.dash}
          stroke-width="2.5"
          vector-effect="non-scaling-stroke"
          points={pts.map((p, i) => `${x(i).toFixed(1)},${y(p.counts[s.key]).toFixed(1)}`).join(" ")}
        />
      ))}
      {/* Concentric dots (largest first) mark every non-zero count, so equal counts stay visible. */}
      {SERIES.map((s, k) =>
        pts.map((p, i) =>
          p.counts[s.key] > 0
            ? (
              <circle
                cx={x(i)}
                cy={y(p.counts[s.key])}
                r={2 + (SERIES.length - 1 - k) * 1.5}
                fill={s.color}
              />
            )
            : null
        )
      )}
    </svg>
  );
}

function seriesHeader(s: typeof SERIES[number]) {
  return <th scope="col">{s.label}</th>;
}

function seriesCell(s: typeof SERIES[number], n: number) {
  return <td data-series={s.key}>{n}</td>;
}

/** The chart card's content: range and source form, the SVG, its legend and the hidden table. */
export function OverviewChart({ page, data }: { page: ConsolePage; data: ChartData }) {
  const option = (s: Source) => <option value={s.value} selected={s.value === data.source}>{s.label}</option>;
  const src = data.source ? `&source=${encodeURIComponent(data.source)}` : "";
  return (
    <>
      <h2>Events over time</h2>
      <p class="row chart-ranges">
        {(Object.keys(RANGES) as RangeKey[]).map((k) => (
          <a href={`${page.base}?range=${k}${src}`} aria-current={k === data.range ? "true" : undefined}>
            {RANGES[k].label}
          </a>
        ))}
      </p>
      <form method="get" action={page.base} class="row">
        <input type="hidden" name="range" value={data.range} />
        <label for="chart-source">Source</label>
        <select id="chart-source" name="source">
          <option value="" selected={!data.source}>All streams and connections</option>
          {data.sources.streams.map(option)}
          {data.sources.connections.map(option)}
        </select>
        <button type="submit" class="secondary">Show</button>
      </form>
      {data.error ? <p class="error" role="alert">{data.error}</p> : null}
      <ChartSvg data={data} />
      <ul class="legend">
        {SERIES.map((s) => (
          <li>
            <svg width="24" height="10" aria-hidden="true">
              <line
                x1="0"
                x2="24"
                y1="5"
                y2="5"
                stroke={s.color}
                stroke-width="3"
                stroke-dasharray={s.dash}
              />
            </svg>{" "}
            {s.label}
          </li>
        ))}
      </ul>
      <table class="sr-only" id="chart-table">
        <caption>
          Events per {data.range === "24h" ? "hour (UTC)" : "day (UTC)"}: {data.sourceLabel}
        </caption>
        <thead>
          <tr>
            <th scope="col">Period</th>
            {SERIES.map(seriesHeader)}
          </tr>
        </thead>
        <tbody>
          {data.points.map((p) => (
            <tr data-period={p.period}>
              <th scope="row">{periodLabel(p.period, data.range)}</th>
              {SERIES.map((s) => seriesCell(s, p.counts[s.key]))}
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
