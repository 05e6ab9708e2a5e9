/** The Audit log page (read-only): listAuditLog, as `GET /api/{ws}/audit-log`, newest first, by object. */
import type { Context } from "hono";
import { AppError } from "../../errors.ts";
import type { AppEnv } from "../../http/env.ts";
import { listAuditLog } from "../../services/audit.ts";
import { ConsoleLayout, openConsole } from "./shell.tsx";

type Entry = Awaited<ReturnType<typeof listAuditLog>>["entries"][number];

const PAGE = 100;

/** `/{ws}/audit[?objectId=&objectType=&offset=]`. */
export async function auditPage(c: Context<AppEnv>) {
  const page = await openConsole(c, c.req.param("ws") ?? "");
  if (page instanceof Response) return page;
  const objectId = c.req.query("objectId") ?? "";
  const objectType = c.req.query("objectType") ?? "";
  const offset = Math.min(Math.max(Number(c.req.query("offset")) || 0, 0), 1_000_000_000);
  let entries: Entry[] = [];
  let error: string | undefined;
  try {
    ({ entries } = await listAuditLog(page.ctx, {
      workspaceId: page.workspace.id,
      limit: PAGE,
      offset,
      ...(objectId ? { objectId } : {}),
      ...(objectType ? { objectType } : {}),
    }));
  } catch (e) {
    if (!(e instanceof AppError) || !e.expose) throw e;
    error = e.message;
  }
  const more = new URLSearchParams({ objectId, objectType, offset: String(offset + PAGE) });
  return c.html(
    <ConsoleLayout page={page} title="Audit log" section="Audit log">
      <div class="card">
        <h1>Audit log</h1>
        <form method="get" action={`${page.base}/audit`} class="row">
          <div>
            <label for="audit-type">Object type</label>
            <input id="audit-type" name="objectType" value={objectType} />
          </div>
          <div>
            <label for="audit-id">Object id</label>
            <input id="audit-id" name="objectId" value={objectId} />
          </div>
          <button type="submit">Filter</button>
        </form>
        {error ? <p class="error" role="alert">{error}</p> : null}
        {entries.length === 0 && !error ? <p class="muted">No changes recorded.</p> : null}
        {entries.map((e) => (
          <details class="entry" data-object={e.objectId}>
            <summary>
              <time datetime={e.at}>{e.at.replace("T", " ").slice(0, 19)}</time> {e.user.email ?? e.user.id}
              {" "}
              <strong>{e.action}</strong> {e.objectType} <code>{e.objectId}</code> via{" "}
              {String(e.channel).toUpperCase()}
            </summary>
            <pre>{JSON.stringify({ before: e.before, after: e.after }, null, 2)}</pre>
          </details>
        ))}
        {entries.length === PAGE
          ? (
            <p>
              <a href={`${page.base}/audit?${more}`}>Older</a>
            </p>
          )
          : null}
      </div>
    </ConsoleLayout>,
  );
}
