/**
 * Live Events: the same readEvents REST (`GET /api/{ws}/log/...`) and MCP (`query_events`) read, newest
 * first, by source and type, errors only, search; a click opens an entry's full JSON; the page reloads
 * itself every few seconds while open (a small script with the CSP nonce; off with a checkbox). For dead
 * letters it lists what waits and replays it (replayDeadLetter, as `POST /api/{ws}/dead-letter/replay`).
 */
import type { Context, Hono } from "hono";
import { AppError } from "../../errors.ts";
import type { AppEnv } from "../../http/env.ts";
import { listEventSources } from "../../events_log/event_sources.ts";
import { EVENT_LOG_TYPES } from "../../events_log/events_log.ts";
import { type PublicEvent, readEvents } from "../../events_log/read_events.ts";
import { listDeadLetter, replayDeadLetter } from "../../pipeline/dead_letter.ts";
import { ConsoleLayout, type ConsolePage, Notice, openConsole, openConsoleForm } from "./shell.tsx";

type DeadLetter = Awaited<ReturnType<typeof listDeadLetter>>[number];
type Source = Awaited<ReturnType<typeof listEventSources>>["sources"][number];

interface Query {
  source: string;
  type: string;
  errors: boolean;
  q: string;
  cursor: string;
}

// Reloads every 5 s while the box is ticked, the tab visible, no entry open and the keyboard focus on nothing
// else (a reload would lose a filter being edited or a keyboard user's place).
const REFRESH = `(function(){var box=document.getElementById("auto-refresh");if(!box)return;` +
  `box.checked=sessionStorage.getItem("sluice-live-auto")!=="off";box.addEventListener("change",function(){` +
  `sessionStorage.setItem("sluice-live-auto",box.checked?"on":"off")});setInterval(function(){` +
  `var a=document.activeElement;var editing=a&&a!==box&&a!==document.body;` +
  `if(box.checked&&document.visibilityState==="visible"&&!editing&&!document.querySelector("details[open]"))` +
  `location.reload()},5000)})();`;

function Filters({ page, query, sources }: { page: ConsolePage; query: Query; sources: Source[] }) {
  return (
    <form method="get" action={`${page.base}/live`} id="live-filters">
      <div class="row">
        <div>
          <label for="live-source">Source</label>
          <select id="live-source" name="source">
            <option value="all">All sources</option>
            {sources.map((s) => (
              <option value={s.id} selected={s.id === query.source}>{s.kind}: {s.name}</option>
            ))}
          </select>
        </div>
        <div>
          <label for="live-type">Type</label>
          <select id="live-type" name="type">
            {EVENT_LOG_TYPES.map((t) => (
              <option value={t} selected={t === query.type}>
                {t}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="live-search">Search</label>
          <input id="live-search" name="q" value={query.q} maxlength={200} />
        </div>
      </div>
      <label class="check" for="live-errors">
        <input type="checkbox" id="live-errors" name="errors" value="1" checked={query.errors} /> Errors only
      </label>
      <button type="submit" id="live-apply">Show</button>
    </form>
  );
}

/** An entry with its `content.body` (a JSON text in incoming entries, as Jitsu stores it) parsed for reading. */
function readable(e: PublicEvent): PublicEvent {
  const content = e.content as Record<string, unknown> | null;
  if (!content || typeof content !== "object" || typeof content.body !== "string") return e;
  try {
    return { ...e, content: { ...content, body: JSON.parse(content.body) } };
  } catch {
    return e;
  }
}

function summaryOf(content: unknown): string {
  if (!content || typeof content !== "object") return "";
  const c = content as Record<string, Record<string, unknown> | undefined>;
  const body = c.body;
  const payload = body?.httpPayload as Record<string, unknown> | undefined;
  const text = payload?.event ?? payload?.type ?? body?.event ?? body?.type ?? c.error ?? c.status ??
    c.message ?? "";
  return typeof text === "string" ? text : JSON.stringify(text);
}

function Entry({ e }: { e: PublicEvent }) {
  const shown = readable(e);
  return (
    <details class="entry" data-level={e.level}>
      <summary>
        <time datetime={e.date}>{e.date.replace("T", " ").slice(0, 19)}</time>{" "}
        <span class={e.level === "error" ? "level-error" : ""}>{e.level}</span> <code>{e.actorId}</code>{" "}
        {summaryOf(shown.content).slice(0, 120)}
      </summary>
      <pre>{JSON.stringify(shown, null, 2)}</pre>
    </details>
  );
}

function entryOf(e: PublicEvent) {
  return <Entry e={e} />;
}

function DeadLetters(
  { page, items, connectionId }: { page: ConsolePage; items: DeadLetter[]; connectionId: string | null },
) {
  const action = `${page.base}/live/replay`;
  return (
    <div class="card" id="dead-letters">
      <h2>Waiting in the dead letter ({items.length})</h2>
      {items.map((d) => (
        <div class="row" data-dead-letter={d.id}>
          <span>
            <code>{d.id}</code> {d.date.slice(0, 19).replace("T", " ")} · <code>{d.actorId}</code> · {d.error}
          </span>
          {page.readOnly ? null : (
            <form method="post" action={action}>
              <input type="hidden" name="csrf" value={page.csrf} />
              <input type="hidden" name="ids" value={d.id} />
              <button type="submit" class="secondary">Replay</button>
            </form>
          )}
        </div>
      ))}
      {items.length && !page.readOnly
        ? (
          <form method="post" action={action}>
            <input type="hidden" name="csrf" value={page.csrf} />
            {connectionId ? <input type="hidden" name="connectionId" value={connectionId} /> : null}
            <button type="submit" id="replay-all">
              Replay all{connectionId ? " of this connection" : ""}
            </button>
          </form>
        )
        : null}
    </div>
  );
}

function readQuery(c: Context<AppEnv>): Query {
  const q = c.req.query();
  return {
    source: q.source || "all",
    type: (EVENT_LOG_TYPES as readonly string[]).includes(q.type ?? "") ? q.type! : "incoming",
    errors: q.errors === "1",
    q: q.q ?? "",
    cursor: q.cursor ?? "",
  };
}

async function livePage(c: Context<AppEnv>) {
  const page = await openConsole(c, c.req.param("ws") ?? "");
  if (page instanceof Response) return page;
  const query = readQuery(c);
  const { sources } = await listEventSources(page.ctx, { workspaceId: page.workspace.id });
  let events: PublicEvent[] = [];
  let next: string | null = null;
  let error: string | undefined;
  try {
    const out = await readEvents(page.ctx, {
      workspaceId: page.workspace.id,
      type: query.type,
      source: query.source,
      errorsOnly: query.errors || undefined,
      search: query.q || undefined,
      cursor: query.cursor || undefined,
      limit: 50,
    });
    events = out.events;
    next = out.nextCursor;
  } catch (e) {
    if (!(e instanceof AppError) || !e.expose) throw e;
    error = e.message;
  }
  const connectionId = sources.find((s) => s.id === query.source && s.kind === "connection")?.id ?? null;
  const dead = query.type === "dead-letter"
    ? await listDeadLetter(page.ctx, { workspaceId: page.workspace.id, connectionId, limit: 100 })
    : null;
  const params = new URLSearchParams({ source: query.source, type: query.type, q: query.q });
  if (query.errors) params.set("errors", "1");
  const replayed = c.req.query("replayed");
  return c.html(
    <ConsoleLayout page={page} title="Live Events" section="Live Events">
      <div class="card">
        <h1>Live Events</h1>
        <Notice text={replayed ? `${replayed} event(s) put back in the queue.` : undefined} />
        <Filters page={page} query={query} sources={sources} />
      </div>
      {dead ? <DeadLetters page={page} items={dead} connectionId={connectionId} /> : null}
      <div class="card" id="events">
        <div class="row">
          <h2>Newest first</h2>
          {query.cursor ? null : (
            <label class="check" for="auto-refresh">
              <input type="checkbox" id="auto-refresh" checked /> Refresh every 5 s
            </label>
          )}
        </div>
        {error ? <p class="error" role="alert">{error}</p> : null}
        {events.length === 0 && !error
          ? (
            <p class="muted">
              No events yet for this source and type.
              {query.type === "bulker_stream"
                ? " A batch-mode connection (warehouses by default) logs its writes per batch as bulker_batch, and " +
                  "here only the events that failed."
                : null}
            </p>
          )
          : null}
        {events.map(entryOf)}
        {next
          ? (
            <p>
              <a href={`${page.base}/live?${params}&cursor=${encodeURIComponent(next)}`}>Older</a>
            </p>
          )
          : null}
        {query.cursor
          ? (
            <p>
              <a href={`${page.base}/live?${params}`}>Newest</a>
            </p>
          )
          : null}
      </div>
      <script nonce={page.nonce} dangerouslySetInnerHTML={{ __html: REFRESH }} />
    </ConsoleLayout>,
  );
}

async function replay(c: Context<AppEnv>) {
  const opened = await openConsoleForm(c, c.req.param("ws") ?? "");
  if (opened instanceof Response) return opened;
  const { page, form } = opened;
  const ids = typeof form.ids === "string" && form.ids ? { ids: [form.ids] } : {};
  const connectionId = typeof form.connectionId === "string" && form.connectionId ? form.connectionId : null;
  const { replayed } = await replayDeadLetter(page.ctx, {
    workspaceId: page.workspace.id,
    connectionId,
    ...ids,
  });
  const back = new URLSearchParams({
    type: "dead-letter",
    source: connectionId ?? "all",
    replayed: String(replayed),
  });
  return c.redirect(`${page.base}/live?${back}`, 303);
}

/** Mounts `/:ws/live` and `/:ws/live/replay`. */
export function mountLiveEvents(app: Hono<AppEnv>) {
  app.get("/:ws/live", livePage);
  app.post("/:ws/live/replay", replay);
}
