import { isLoopbackRedirect } from "../oauth/redirect_uris.ts";
import { Layout } from "./layout.tsx";

/** What the consent page shows and posts back. */
export interface ConsentProps {
  user: string;
  csrf: string;
  /** The original authorization request's query string, validated again on POST. */
  request: string;
  clientName: string | null;
  clientId: string;
  clientKind: "dynamic" | "metadata_document";
  redirectUri: string;
  wantsWrite: boolean;
  workspaces: { id: string; name: string }[];
  error?: string;
}

function redirectTarget(uri: string): string {
  try {
    const u = new URL(uri);
    return u.host ? u.host : `${u.protocol}//`;
  } catch {
    return uri;
  }
}

function clientSite(clientId: string): string | null {
  try {
    return new URL(clientId).host;
  } catch {
    return null;
  }
}

/** The consent page: who asks, where it will send the code, which workspaces, what access. */
export function ConsentPage(p: ConsentProps) {
  const name = p.clientName ?? "An unnamed app";
  const site = p.clientKind === "metadata_document" ? clientSite(p.clientId) : null;
  const loopback = isLoopbackRedirect(p.redirectUri);
  return (
    <Layout title="Connect an app" user={p.user} csrf={p.csrf}>
      <div class="card">
        <h1>
          Connect {name} <span class="badge" title="Sluice cannot confirm who made this app">unverified</span>
        </h1>
        <p>
          <strong>{name}</strong> wants to use Sluice as <strong>{p.user}</strong>.
          {site ? <br /> : null}
          {site ? <span class="muted">It identifies itself with a document on {site}.</span> : null}
        </p>
        <p>
          After you approve, you go back to <code>{redirectTarget(p.redirectUri)}</code>.
        </p>
        {loopback
          ? (
            <p class="warn" role="note">
              This app receives the approval on{" "}
              <strong>localhost</strong>, a program on this computer. Approve only if you just started it
              yourself.
            </p>
          )
          : null}
        {p.error ? <p class="error" role="alert">{p.error}</p> : null}
        <form method="post" action="/oauth/authorize">
          <input type="hidden" name="csrf" value={p.csrf} />
          <input type="hidden" name="request" value={p.request} />
          <h2>Workspaces it may use</h2>
          {p.workspaces.length === 0
            ? <p class="muted">You have no workspaces yet.</p>
            : p.workspaces.map((w) => (
              <label class="choice">
                <input type="checkbox" name="workspace" value={w.id} checked={p.workspaces.length === 1} />
                <span>{w.name}</span>
              </label>
            ))}
          <h2>Access</h2>
          {p.wantsWrite
            ? (
              <p class="muted">
                The app asked for read and write access. Choose Read only to let it look without changing
                anything.
              </p>
            )
            : null}
          {/* What the app asked for is preselected; the other choice is one click away. */}
          <label class="choice">
            <input type="radio" name="access" value="read" checked={!p.wantsWrite} />
            <span>
              Read only <span class="muted">: look at configuration, events and logs</span>
            </span>
          </label>
          <label class="choice">
            <input type="radio" name="access" value="write" checked={p.wantsWrite} />
            <span>
              Read and write <span class="muted">: also create, change and delete</span>
            </span>
          </label>
          <div class="row">
            <button type="submit" name="decision" value="approve" id="approve">Approve</button>
            <button type="submit" name="decision" value="deny" class="secondary" id="deny">Deny</button>
          </div>
        </form>
      </div>
    </Layout>
  );
}

/** An authorization error that must not be redirected (unknown client or redirect URI). */
export function AuthorizeErrorPage({ message }: { message: string }) {
  return (
    <Layout title="Cannot connect">
      <div class="card">
        <h1>This app cannot connect</h1>
        <p class="error" role="alert">{message}</p>
        <p class="muted">Nothing was shared. You can close this page.</p>
      </div>
    </Layout>
  );
}
