import { type Context, Hono } from "hono";
import { newId } from "../auth/crypto.ts";
import { checkCsrf, csrfToken, readSession, type Session } from "../auth/sessions.ts";
import type { Deps } from "../deps.ts";
import type { AppEnv } from "../http/env.ts";
import { insertCode, insertGrant, revokeGrantsOfClient, touchClient } from "../store/oauth_repo.ts";
import { listWorkspacesForUser } from "../store/workspaces_repo.ts";
import { AuthorizeErrorPage, ConsentPage } from "../ui/consent.tsx";
import { pageHeaders } from "../ui/layout.tsx";
import {
  type AuthorizationRequest,
  checkAuthorizationRequest,
  clientRedirect,
  errorRedirect,
} from "./authorize_request.ts";
import type { DocumentFetchOptions } from "./client_metadata_document.ts";
import { CODE_TTL_MS, scopeFor } from "./resource.ts";
import { CODE_PREFIX, mintSecret } from "./tokens.ts";
import { readForm } from "../http/body.ts";

async function userWorkspaces(deps: Deps, s: Session) {
  const rows = await listWorkspacesForUser(deps.db, {
    userId: s.userId,
    all: s.isAdmin,
    only: null,
    limit: 1000,
    offset: 0,
  });
  return rows.map((w) => ({ id: w.id, name: w.name }));
}

// The consent form posts to us and we redirect to the client: form-action must allow that target,
// or browsers block the redirect (CSP Level 3 applies form-action to redirects).
function formActionFor(redirectUri: string): string {
  const u = new URL(redirectUri);
  const target = u.protocol === "http:" || u.protocol === "https:" ? u.origin : u.protocol;
  return `'self' ${target}`;
}

function loginRedirect(c: Context, query: string) {
  const next = `/oauth/authorize?${query}`;
  return c.redirect(`/login?next=${encodeURIComponent(next)}`, 302);
}

async function showConsent(
  c: Context<AppEnv>,
  deps: Deps,
  s: Session,
  req: AuthorizationRequest,
  query: string,
  error?: string,
) {
  pageHeaders(c, { formAction: formActionFor(req.redirectUri) });
  return c.html(
    <ConsentPage
      user={s.email}
      csrf={await csrfToken(deps, s)}
      request={query}
      clientName={req.client.name}
      clientId={req.client.id}
      clientKind={req.client.kind}
      redirectUri={req.redirectUri}
      wantsWrite={req.wantsWrite}
      workspaces={await userWorkspaces(deps, s)}
      error={error}
    />,
    error ? 400 : 200,
  );
}

/** Records the user's approval: replaces any earlier grant to this client and mints a 60 s code. */
async function approve(
  deps: Deps,
  s: Session,
  req: AuthorizationRequest,
  workspaceIds: string[],
  write: boolean,
) {
  const now = deps.clock.now();
  const code = await mintSecret(deps, CODE_PREFIX);
  const scope = scopeFor(write);
  await deps.db.transaction(async function recordGrant(tx) {
    await revokeGrantsOfClient(tx, s.userId, req.client.id, now);
    const grant = await insertGrant(tx, {
      id: newId(),
      user_id: s.userId,
      client_id: req.client.id,
      scope,
      workspace_ids: workspaceIds,
      resource: req.resource,
      created_at: now,
    });
    await insertCode(tx, {
      id: code.id,
      grant_id: grant.id,
      client_id: req.client.id,
      salt: code.stored.salt,
      hash: code.stored.hash,
      pepper_id: code.stored.pepperId,
      redirect_uri: req.redirectUri,
      redirect_uri_given: req.redirectUriGiven,
      code_challenge: req.codeChallenge,
      resource: req.resource,
      scope,
      created_at: now,
      expires_at: new Date(now.getTime() + CODE_TTL_MS),
    });
    await touchClient(tx, req.client.id, now);
  });
  return code.plaintext;
}

/** `GET /oauth/authorize` shows consent (after login); `POST` records the decision (RFC 6749 §4.1). */
export function authorizeRouter(options: DocumentFetchOptions = {}) {
  const app = new Hono<AppEnv>();
  app.get("/oauth/authorize", async function authorize(c) {
    const deps = c.get("deps");
    const url = new URL(c.req.url);
    const check = await checkAuthorizationRequest(deps, url.searchParams, options);
    if (check.kind === "page") {
      pageHeaders(c);
      return c.html(<AuthorizeErrorPage message={check.message} />, check.status);
    }
    if (check.kind === "redirect") return c.redirect(check.location, 302);
    const session = await readSession(c, deps);
    const query = url.search.slice(1);
    if (!session) return loginRedirect(c, query);
    return await showConsent(c, deps, session, check.request, query);
  });

  app.post("/oauth/authorize", async function decide(c) {
    const deps = c.get("deps");
    const form = await readForm(c, { all: true });
    const query = typeof form.request === "string" ? form.request : "";
    const session = await readSession(c, deps);
    if (!session) return loginRedirect(c, query);
    if (!await checkCsrf(deps, session, form.csrf)) {
      pageHeaders(c);
      return c.html(
        <AuthorizeErrorPage message="The form was not sent by this Sluice page (missing or wrong CSRF token). Start again from the app." />,
        403,
      );
    }
    const check = await checkAuthorizationRequest(deps, new URLSearchParams(query), options);
    if (check.kind === "page") {
      pageHeaders(c);
      return c.html(<AuthorizeErrorPage message={check.message} />, check.status);
    }
    if (check.kind === "redirect") return c.redirect(check.location, 303);
    const req = check.request;
    if (form.decision !== "approve") {
      return c.redirect(
        errorRedirect(deps, req.redirectUri, req.state, "access_denied", "The user denied access"),
        303,
      );
    }
    const picked = ([] as unknown[]).concat(form.workspace ?? []).filter((x): x is string =>
      typeof x === "string"
    );
    const allowed = new Set((await userWorkspaces(deps, session)).map((w) => w.id));
    if (picked.length === 0 || !picked.every((id) => allowed.has(id))) {
      return await showConsent(c, deps, session, req, query, "Choose at least one of your workspaces.");
    }
    const code = await approve(deps, session, req, [...new Set(picked)], form.access === "write");
    return c.redirect(clientRedirect(deps, req.redirectUri, req.state, { code }), 303);
  });
  return app;
}
