/**
 * The Overview page: how many streams, destinations, connections and functions the workspace has, and the
 * site snippet of its first stream. The events-over-time chart is its own component, rendered into the
 * `chart` slot of {@linkcode OverviewPage} (the page shows nothing there without one).
 */
import type { Child } from "hono/jsx";
import { listResources } from "../../services/resources.ts";
import { ConsoleLayout, type ConsolePage } from "./shell.tsx";
import { streamSnippets } from "./stream_panel.tsx";

const COUNTED = [
  ["Streams", "stream", "streams"],
  ["Destinations", "destination", "destinations"],
  ["Connections", "connection", "connections"],
  ["Functions", "function", "functions"],
] as const;

export interface OverviewData {
  counts: { title: string; path: string; total: number }[];
  firstStream: { id: string; name: string; browserKeyId: string | null } | null;
}

/** The counts and the first stream, from the services' own listings (one row each, totals counted). */
export async function overviewData(page: ConsolePage): Promise<OverviewData> {
  const workspaceId = page.workspace.id;
  const lists = await Promise.all(
    COUNTED.map(([, type]) => listResources(page.ctx, { workspaceId, type, limit: 1 })),
  );
  const first = lists[0].objects[0] as
    | { id: string; name: string; publicKeys?: { id: string }[] }
    | undefined;
  return {
    counts: COUNTED.map(([title, , path], i) => ({ title, path, total: lists[i].total })),
    firstStream: first
      ? { id: first.id, name: first.name, browserKeyId: first.publicKeys?.[0]?.id ?? null }
      : null,
  };
}

/** `/{ws}`: counts, the chart slot, the first stream's snippet. */
export function OverviewPage(
  { page, data, chart }: { page: ConsolePage; data: OverviewData; chart?: Child },
) {
  const s = data.firstStream;
  const key = s?.browserKeyId ? `${s.browserKeyId}:YOUR_SECRET` : "KEY_ID:SECRET";
  const tag = streamSnippets(page.ctx.config.publicUrl, key, key)[0];
  return (
    <ConsoleLayout page={page} title="Overview" section="Overview">
      <div class="card">
        <h1>{page.workspace.name}</h1>
        <div class="counts">
          {data.counts.map((c) => (
            <a class="count" href={`${page.base}/${c.path}`} id={`count-${c.path}`}>
              <strong>{c.total}</strong>
              {c.title}
            </a>
          ))}
        </div>
      </div>
      {chart ? <div class="card" id="overview-chart">{chart}</div> : null}
      <div class="card" id="first-stream">
        <h2>Site snippet</h2>
        {s
          ? (
            <>
              <p>
                Paste into the pages of{" "}
                <a href={`${page.base}/streams/${encodeURIComponent(s.id)}`}>{s.name}</a>
                {s.browserKeyId
                  ? " (the secret was shown once, when the key was made):"
                  : ", after adding a browser key on its page:"}
              </p>
              <pre id="overview-snippet">{tag.text}</pre>
            </>
          )
          : (
            <p class="muted">
              No stream yet. {page.readOnly ? null : <a href={`${page.base}/streams/new`}>Create one</a>}{" "}
              to get a snippet.
            </p>
          )}
      </div>
    </ConsoleLayout>
  );
}
