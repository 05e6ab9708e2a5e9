/**
 * The console's shell: who is signed in, which workspace a `/{workspace}/...` URL means (slug or id), the
 * workspace switcher and the navigation. Every console page opens with {@linkcode openConsole} and renders
 * inside {@linkcode ConsoleLayout}, so access rules (the same `resolveWorkspace` REST and MCP use), CSRF and
 * security headers are decided once.
 */
import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import type { Child } from "hono/jsx";
import { randomToken } from "../../auth/crypto.ts";
import { checkCsrf, csrfToken, readSession, type Session, sessionCtx } from "../../auth/sessions.ts";
import type { Ctx } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import type { AppEnv } from "../../http/env.ts";
import { readForm } from "../../http/body.ts";
import { listWorkspaces, publicWorkspace, resolveWorkspace } from "../../services/workspaces.ts";
import { HtmlDocument, pageHeaders } from "../layout.tsx";
import { CONSOLE_CSS } from "./styles.ts";

/** The cookie that remembers the last workspace opened, so `/` goes back to it. */
export const LAST_WORKSPACE_COOKIE = "sluice_last_ws";

type PublicWorkspace = ReturnType<typeof publicWorkspace>;

/** Everything a console page needs about its request. */
export interface ConsolePage {
  c: Context<AppEnv>;
  session: Session;
  ctx: Ctx;
  workspace: PublicWorkspace;
  /** The workspace's URL segment: its slug, else its id. */
  key: string;
  /** `/{key}`: prefix of every link of this workspace. */
  base: string;
  workspaces: PublicWorkspace[];
  csrf: string;
  nonce: string;
  /** Analysts (and nobody else) see pages without forms that change anything. */
  readOnly: boolean;
}

/** First path segments that belong to Sluice itself, never to a workspace. */
export const RESERVED_SEGMENTS: ReadonlySet<string> = new Set([
  "api",
  "mcp",
  "oauth",
  "login",
  "logout",
  "setup",
  "user",
  "console",
  ".well-known",
  "v1",
  "b",
  "batch",
  "healthz",
  "version",
  "metrics",
  "p.js",
  "lib.js",
  "favicon.ico",
  "robots.txt",
  "authorize",
  "token",
  "register",
  "invite",
  "reset-password",
]);

/** The URL segment of a workspace: its slug, or its id when it has none (or one Sluice's own paths use). */
export function workspaceKey(w: { slug: string | null; id: string }): string {
  return w.slug && !RESERVED_SEGMENTS.has(w.slug) ? w.slug : w.id;
}

const NAV: [string, string][] = [
  ["Overview", ""],
  ["Streams", "/streams"],
  ["Destinations", "/destinations"],
  ["Connections", "/connections"],
  ["Syncs", "/syncs"],
  ["Functions", "/functions"],
  ["Live Events", "/live"],
  ["Members", "/members"],
  ["Audit log", "/audit"],
];

function loginRedirect(c: Context<AppEnv>) {
  const next = new URL(c.req.url);
  return c.redirect(`/login?next=${encodeURIComponent(next.pathname + next.search)}`, 302);
}

/** A page outside any workspace: a 404 or 403 that says what happened, with a way back. */
export function consoleErrorPage(c: Context<AppEnv>, status: 400 | 403 | 404, message: string) {
  pageHeaders(c);
  return c.html(
    <HtmlDocument
      title={status === 404 ? "Not found" : "Cannot do that"}
      head={<style dangerouslySetInnerHTML={{ __html: CONSOLE_CSS }} />}
    >
      <body>
        <header>
          <a href="/">Sluice</a>
        </header>
        <main>
          <div class="card">
            <h1>{status === 404 ? "Not found" : status === 403 ? "Not allowed" : "Cannot do that"}</h1>
            <p class="error" role="alert">{message}</p>
            <p>
              <a href="/">Back to the console</a> · <a href="/user">Your account</a>
            </p>
          </div>
        </main>
      </body>
    </HtmlDocument>,
    status,
  );
}

/**
 * Resolves the session and the workspace of a console route. Answers instead (a Response) when there is
 * no session (to the sign-in page) or the workspace is not the user's (404, as REST does: ids do not leak).
 */
export async function openConsole(c: Context<AppEnv>, wsParam: string): Promise<ConsolePage | Response> {
  const deps = c.get("deps");
  const session = await readSession(c, deps);
  if (!session) return loginRedirect(c);
  const ctx = sessionCtx(deps, session, c.get("requestId"));
  let resolved;
  try {
    resolved = await resolveWorkspace(ctx, wsParam);
  } catch (e) {
    if (e instanceof AppError && e.status === 404) return consoleErrorPage(c, 404, e.message);
    throw e;
  }
  const workspace = publicWorkspace(resolved);
  const key = workspaceKey(workspace);
  const nonce = randomToken(16);
  pageHeaders(c, { scriptNonce: nonce });
  setCookie(c, LAST_WORKSPACE_COOKIE, workspace.id, {
    httpOnly: true,
    sameSite: "Lax",
    path: "/",
    secure: deps.config.publicUrl.startsWith("https://"),
    maxAge: 365 * 86400,
  });
  return {
    c,
    session,
    ctx,
    workspace,
    key,
    base: `/${encodeURIComponent(key)}`,
    workspaces: await listWorkspaces(ctx, { limit: 1000 }),
    csrf: await csrfToken(deps, session),
    nonce,
    readOnly: resolved.role === "analyst" && !session.isAdmin,
  };
}

/** A POST's page: {@linkcode openConsole}, then the CSRF token and write access; the parsed form too. */
export async function openConsoleForm(
  c: Context<AppEnv>,
  wsParam: string,
): Promise<{ page: ConsolePage; form: Record<string, unknown> } | Response> {
  const page = await openConsole(c, wsParam);
  if (page instanceof Response) return page;
  // A function's code may be 256 KiB, form-encoded up to three times that.
  const form = await readForm(c, { limit: 1024 * 1024 });
  if (!await checkCsrf(c.get("deps"), page.session, form.csrf)) {
    return consoleErrorPage(
      c,
      400,
      "The form expired (missing or wrong CSRF token). Reload the page and try again.",
    );
  }
  if (page.readOnly) {
    return consoleErrorPage(
      c,
      403,
      `Cannot change workspace "${page.key}": your role (analyst) is read-only`,
    );
  }
  return { page, form };
}

/** `/`: the console of the last workspace opened (cookie), else the first; the account page without one. */
export async function consoleHome(c: Context<AppEnv>) {
  const deps = c.get("deps");
  const session = await readSession(c, deps);
  if (!session) return c.redirect("/login?next=%2F", 302);
  const ctx = sessionCtx(deps, session, c.get("requestId"));
  const all = await listWorkspaces(ctx, { limit: 1000 });
  const last = getCookie(c, LAST_WORKSPACE_COOKIE);
  const pick = all.find((w) => w.id === last) ?? all[0];
  if (!pick) return c.redirect("/user", 302);
  return c.redirect(`/${encodeURIComponent(workspaceKey(pick))}`, 302);
}

function Switcher({ page }: { page: ConsolePage }) {
  if (page.workspaces.length < 2) return <span class="who">{page.workspace.name}</span>;
  return (
    <form method="get" action="/console/switch">
      <label for="ws-switch">Workspace</label>
      <select id="ws-switch" name="to">
        {page.workspaces.map((w) => (
          <option value={workspaceKey(w)} selected={w.id === page.workspace.id}>{w.name}</option>
        ))}
      </select>
      <button type="submit">Open</button>
    </form>
  );
}

/** The console page shell: top bar (switcher, user, sign out), navigation, then the page. */
export function ConsoleLayout(
  { page, title, section, children }: { page: ConsolePage; title: string; section: string; children: Child },
) {
  return (
    <HtmlDocument
      title={`${title} · ${page.workspace.name}`}
      head={<style dangerouslySetInnerHTML={{ __html: CONSOLE_CSS }} />}
    >
      <body>
        <header>
          <a href={page.base}>Sluice</a>
          <Switcher page={page} />
          <form method="post" action="/logout">
            <span class="who">{page.session.email}{page.readOnly ? " (analyst, read-only)" : ""}</span>
            <input type="hidden" name="csrf" value={page.csrf} />
            <button type="submit">Sign out</button>
          </form>
        </header>
        <nav aria-label="Console">
          {NAV.map(([name, path]) => (
            <a href={page.base + path} aria-current={section === name ? "page" : undefined}>{name}</a>
          ))}
          <a href="/user">API keys</a>
        </nav>
        <main>{children}</main>
      </body>
    </HtmlDocument>
  );
}

/** A status line from a `?notice=` code (after a POST-redirect-GET). */
export function Notice({ text }: { text: string | undefined }) {
  return text ? <p class="ok" role="status">{text}</p> : null;
}
