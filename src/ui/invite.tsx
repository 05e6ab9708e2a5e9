import { Hono } from "hono";
import { AppError } from "../errors.ts";
import { readForm } from "../http/body.ts";
import type { AppEnv } from "../http/env.ts";
import { acceptInvite, inviteDetails } from "../services/invites.ts";
import { Layout, NewPasswordField, pageHeaders } from "./layout.tsx";

interface Props {
  token: string;
  invite: { email: string; role: string; workspaceName: string } | null;
  error?: string;
  name?: string;
}

function InvitePage({ token, invite, error, name }: Props) {
  return (
    <Layout title="Join a workspace">
      <div class="card">
        <h1>{invite ? `Join ${invite.workspaceName}` : "Join a workspace"}</h1>
        {error ? <p class="error" role="alert">{error}</p> : null}
        {invite
          ? (
            <>
              <p class="muted">
                You were invited as {invite.role}. Choose a password for {invite.email}; this link works once.
              </p>
              <form method="post" action="/invite">
                <input type="hidden" name="token" value={token} />
                <label for="email">Email</label>
                <input id="email" type="email" value={invite.email} readonly autocomplete="username" />
                <label for="name">Your name (optional)</label>
                <input
                  id="name"
                  name="name"
                  type="text"
                  maxlength={200}
                  value={name ?? ""}
                  autocomplete="name"
                />
                <NewPasswordField />
                <button type="submit">Create account</button>
              </form>
            </>
          )
          : null}
      </div>
    </Layout>
  );
}

/**
 * `/invite?token=`: an invited person chooses a password; the account is created with the invite's
 * role (src/services/invites.ts). The unguessable one-time token in the form is what authorises the
 * post (as on /setup). Success redirects to sign-in, so a reload repeats nothing.
 */
export function inviteRouter() {
  const app = new Hono<AppEnv>();
  app.get("/invite", async function showInvite(c) {
    pageHeaders(c);
    const token = c.req.query("token") ?? "";
    try {
      return c.html(<InvitePage token={token} invite={await inviteDetails(c.get("deps"), token)} />);
    } catch (e) {
      if (!(e instanceof AppError) || !e.expose) throw e;
      return c.html(<InvitePage token={token} invite={null} error={e.message} />, 403);
    }
  });
  app.post("/invite", async function submitInvite(c) {
    pageHeaders(c);
    const deps = c.get("deps");
    const form = await readForm(c);
    const field = (n: string) => (typeof form[n] === "string" ? form[n] as string : "");
    const token = field("token");
    try {
      await acceptInvite(deps, {
        token,
        password: field("password"),
        name: field("name").trim() || null,
      });
      return c.redirect("/login", 303);
    } catch (e) {
      if (!(e instanceof AppError) || !e.expose) throw e;
      const invite = await inviteDetails(deps, token).catch(() => null);
      return c.html(
        <InvitePage token={token} invite={invite} name={field("name")} error={e.message} />,
        e.status === 403 ? 403 : e.status === 409 ? 409 : 400,
      );
    }
  });
  return app;
}
