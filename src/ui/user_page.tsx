import { type Context, Hono } from "hono";
import { randomToken } from "../auth/crypto.ts";
import { checkCsrf, csrfToken, readSession, type Session, sessionCtx } from "../auth/sessions.ts";
import { AppError } from "../errors.ts";
import type { AppEnv } from "../http/env.ts";
import { listConnections, revokeConnection } from "../oauth/connections.ts";
import { createApiKey, listApiKeys, revokeApiKey, updateApiKey } from "../services/api_keys.ts";
import { changePassword } from "../services/passwords.ts";
import { Layout, NewPasswordField, pageHeaders } from "./layout.tsx";
import { putNewKey, takeNewKey } from "./new_key_flash.ts";
import { readForm } from "../http/body.ts";

type Keys = Awaited<ReturnType<typeof listApiKeys>>;
type Connections = Awaited<ReturnType<typeof listConnections>>;

const NOTICES: Record<string, string> = {
  "key-renamed": "The key was renamed.",
  "key-revoked": "The key was revoked. Requests with it now get 401.",
  "app-revoked": "The app was disconnected. Its next request gets 401.",
  "password-changed": "Your password was changed. Your other sessions were signed out.",
};

const EXPIRY_DAYS: Record<string, number | null> = { never: null, "30": 30, "90": 90, "365": 365 };

function when(iso: string | null): string {
  return iso ? `${iso.slice(0, 16).replace("T", " ")} UTC` : "never";
}

interface PageProps {
  email: string;
  csrf: string;
  nonce: string;
  keys: Keys;
  connections: Connections;
  notice?: string;
  error?: string;
  created?: { name: string | null; plaintext: string };
}

function NewSecret({ created, nonce }: { created: NonNullable<PageProps["created"]>; nonce: string }) {
  const script = `document.getElementById("copy").addEventListener("click",function(){var i=document.` +
    `getElementById("new-secret");i.select();(navigator.clipboard?navigator.clipboard.writeText(i.value):` +
    `Promise.reject()).catch(function(){document.execCommand("copy")}).finally(function(){` +
    `document.getElementById("copy").textContent="Copied"})});`;
  return (
    <div class="ok created" role="status" id="created">
      <p>
        Key {created.name ? <strong>{created.name}</strong> : null}{" "}
        created. Copy it now: it is shown only once.
      </p>
      <div class="row">
        <input id="new-secret" readonly value={created.plaintext} aria-label="New API key" />
        <button type="button" id="copy">Copy</button>
      </div>
      <script nonce={nonce} dangerouslySetInnerHTML={{ __html: script }} />
    </div>
  );
}

function KeysCard({ keys, csrf, created, nonce }: Pick<PageProps, "keys" | "csrf" | "created" | "nonce">) {
  return (
    <div class="card" id="api-keys">
      <h2>API keys</h2>
      <p class="muted">
        For scripts, CI and MCP clients configured with a header. What they can call: the{" "}
        <a href="/api/docs">API reference</a>.
      </p>
      {created ? <NewSecret created={created} nonce={nonce} /> : null}
      {keys.length === 0 ? <p class="muted">No API keys yet.</p> : null}
      {keys.map((k) => (
        <div class="key" data-key-id={k.id}>
          <form method="post" action="/user/keys/rename" class="row">
            <input type="hidden" name="csrf" value={csrf} />
            <input type="hidden" name="id" value={k.id} />
            <input name="name" value={k.name ?? ""} aria-label="Key name" maxlength={200} />
            <button type="submit" class="secondary">Rename</button>
          </form>
          <p class="muted">
            <code>{k.id}:{k.hint}</code> · created {when(k.createdAt)} · last used {when(k.lastUsed)}{" "}
            · expires {when(k.expiresAt)}
          </p>
          <form method="post" action="/user/keys/revoke">
            <input type="hidden" name="csrf" value={csrf} />
            <input type="hidden" name="id" value={k.id} />
            <button type="submit" class="danger">Revoke</button>
          </form>
          <hr />
        </div>
      ))}
      <h2>New key</h2>
      <form method="post" action="/user/keys">
        <input type="hidden" name="csrf" value={csrf} />
        <label for="key-name">Name (e.g. CI)</label>
        <input id="key-name" name="name" maxlength={200} />
        <label for="key-expiry">Expires</label>
        <select id="key-expiry" name="expires">
          <option value="never">Never</option>
          <option value="30">In 30 days</option>
          <option value="90">In 90 days</option>
          <option value="365">In a year</option>
        </select>
        <button type="submit" id="create-key">Create key</button>
      </form>
    </div>
  );
}

function ConnectionsCard({ connections, csrf }: Pick<PageProps, "connections" | "csrf">) {
  return (
    <div class="card" id="connected-apps">
      <h2>Connected apps</h2>
      {connections.length === 0 ? <p class="muted">No app is connected.</p> : null}
      {connections.map((g) => (
        <div class="connection" data-grant-id={g.id}>
          <p>
            <strong>{g.clientName ?? "Unnamed app"}</strong> <span class="badge">unverified</span>
            <br />
            <span class="muted">
              connected {when(g.connectedAt)} · last used {when(g.lastUsed)} · {g.access}{" "}
              ({g.scope}) · workspaces: {g.workspaces.map((w) => w.name).join(", ")}
            </span>
          </p>
          <form method="post" action="/user/connections/revoke">
            <input type="hidden" name="csrf" value={csrf} />
            <input type="hidden" name="id" value={g.id} />
            <button type="submit" class="danger">Revoke</button>
          </form>
          <hr />
        </div>
      ))}
    </div>
  );
}

function PasswordCard({ csrf }: Pick<PageProps, "csrf">) {
  return (
    <div class="card" id="password">
      <h2>Password</h2>
      <form method="post" action="/user/password">
        <input type="hidden" name="csrf" value={csrf} />
        <label for="current-password">Current password</label>
        <input
          id="current-password"
          name="currentPassword"
          type="password"
          required
          autocomplete="current-password"
        />
        <NewPasswordField id="new-password" name="newPassword" label="New password" />
        <button type="submit" id="change-password">Change password</button>
      </form>
    </div>
  );
}

function UserPage(p: PageProps) {
  return (
    <Layout title="Your account" user={p.email} csrf={p.csrf}>
      <div class="card">
        <h1>Your account</h1>
        <p class="muted">Signed in as {p.email}</p>
        {p.notice ? <p class="ok" role="status">{p.notice}</p> : null}
        {p.error ? <p class="error" role="alert">{p.error}</p> : null}
      </div>
      <KeysCard keys={p.keys} csrf={p.csrf} created={p.created} nonce={p.nonce} />
      <ConnectionsCard connections={p.connections} csrf={p.csrf} />
      <PasswordCard csrf={p.csrf} />
    </Layout>
  );
}

async function render(
  c: Context<AppEnv>,
  s: Session,
  extra: Pick<PageProps, "notice" | "error" | "created"> = {},
  status: 200 | 400 | 404 = 200,
) {
  const deps = c.get("deps");
  const ctx = sessionCtx(deps, s, c.get("requestId"));
  const nonce = randomToken(16);
  pageHeaders(c, { scriptNonce: nonce });
  const [keys, connections] = [await listApiKeys(ctx), await listConnections(ctx)];
  return c.html(
    <UserPage
      email={s.email}
      csrf={await csrfToken(deps, s)}
      nonce={nonce}
      keys={keys}
      connections={connections}
      {...extra}
    />,
    status,
  );
}

type Action = (c: Context<AppEnv>, s: Session, form: Record<string, unknown>) => Promise<Response>;

/** A CSRF-checked form post by a signed-in user; an exposed service error re-renders the page with it. */
function formAction(action: Action) {
  return async function handleForm(c: Context<AppEnv>) {
    const deps = c.get("deps");
    const s = await readSession(c, deps);
    if (!s) return c.redirect("/login?next=%2Fuser", 303);
    const form = await readForm(c);
    if (!await checkCsrf(deps, s, form.csrf)) {
      return await render(c, s, { error: "The form expired (missing or wrong CSRF token). Try again." }, 400);
    }
    try {
      return await action(c, s, form);
    } catch (e) {
      if (!(e instanceof AppError) || !e.expose) throw e;
      return await render(c, s, { error: e.message }, e.status === 404 ? 404 : 400);
    }
  };
}

const str = (x: unknown) => (typeof x === "string" ? x : "");

/** `/user`: the signed-in user's API keys, connected apps and password. */
export function userPageRouter() {
  const app = new Hono<AppEnv>();
  // The header's "Sluice" link: people land on their own page (or sign in first).
  app.get("/", function home(c) {
    return c.redirect("/user", 302);
  });
  app.get("/user", async function showUser(c) {
    const s = await readSession(c, c.get("deps"));
    if (!s) return c.redirect("/login?next=%2Fuser", 302);
    const created = await takeNewKey(c, c.get("deps"), s);
    return await render(c, s, { notice: NOTICES[c.req.query("notice") ?? ""], created });
  });
  app.post(
    "/user/keys",
    formAction(async function createKey(c, s, form) {
      const deps = c.get("deps");
      const days = EXPIRY_DAYS[str(form.expires)] ?? null;
      const expiresAt = days === null
        ? null
        : new Date(deps.clock.now().getTime() + days * 86400_000).toISOString();
      const name = str(form.name).trim() || null;
      const key = await createApiKey(sessionCtx(deps, s, c.get("requestId")), { name, expiresAt });
      await putNewKey(c, deps, s, { name: key.name, plaintext: key.plaintext });
      return c.redirect("/user#created", 303);
    }),
  );
  app.post(
    "/user/keys/rename",
    formAction(async function renameKey(c, s, form) {
      const ctx = sessionCtx(c.get("deps"), s, c.get("requestId"));
      await updateApiKey(ctx, str(form.id), { name: str(form.name).trim() || null });
      return c.redirect("/user?notice=key-renamed", 303);
    }),
  );
  app.post(
    "/user/keys/revoke",
    formAction(async function revokeKey(c, s, form) {
      await revokeApiKey(sessionCtx(c.get("deps"), s, c.get("requestId")), str(form.id));
      return c.redirect("/user?notice=key-revoked", 303);
    }),
  );
  app.post(
    "/user/connections/revoke",
    formAction(async function revokeApp(c, s, form) {
      await revokeConnection(sessionCtx(c.get("deps"), s, c.get("requestId")), str(form.id));
      return c.redirect("/user?notice=app-revoked", 303);
    }),
  );
  app.post(
    "/user/password",
    formAction(async function changeOwnPassword(c, s, form) {
      const ctx = sessionCtx(c.get("deps"), s, c.get("requestId"));
      await changePassword(ctx, {
        currentPassword: str(form.currentPassword),
        newPassword: str(form.newPassword),
      }, {
        keepSessionId: s.id,
      });
      return c.redirect("/user?notice=password-changed", 303);
    }),
  );
  return app;
}
