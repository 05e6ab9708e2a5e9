import { Hono } from "hono";
import { AppError } from "../errors.ts";
import { readForm } from "../http/body.ts";
import type { AppEnv } from "../http/env.ts";
import { completePasswordReset, passwordResetEmail } from "../services/passwords.ts";
import { Layout, NewPasswordField, pageHeaders } from "./layout.tsx";

function ResetPage({ token, email, error }: { token: string; email: string | null; error?: string }) {
  return (
    <Layout title="Choose a new password">
      <div class="card">
        <h1>Choose a new password</h1>
        {error ? <p class="error" role="alert">{error}</p> : null}
        {email
          ? (
            <form method="post" action="/reset-password">
              <input type="hidden" name="token" value={token} />
              <label for="email">Email</label>
              <input id="email" type="email" value={email} readonly autocomplete="username" />
              <NewPasswordField label="New password" />
              <button type="submit">Set password</button>
            </form>
          )
          : null}
      </div>
    </Layout>
  );
}

/**
 * `/reset-password?token=`: the page of the link `sluice user reset-password` prints. The one-time
 * token in the form authorises the post; success signs the user out everywhere and redirects to sign-in.
 */
export function resetPasswordRouter() {
  const app = new Hono<AppEnv>();
  app.get("/reset-password", async function showReset(c) {
    pageHeaders(c);
    const token = c.req.query("token") ?? "";
    try {
      return c.html(<ResetPage token={token} email={await passwordResetEmail(c.get("deps"), token)} />);
    } catch (e) {
      if (!(e instanceof AppError) || !e.expose) throw e;
      return c.html(<ResetPage token={token} email={null} error={e.message} />, 403);
    }
  });
  app.post("/reset-password", async function submitReset(c) {
    pageHeaders(c);
    const deps = c.get("deps");
    const form = await readForm(c);
    const token = typeof form.token === "string" ? form.token : "";
    try {
      await completePasswordReset(deps, { token, password: form.password });
      return c.redirect("/login", 303);
    } catch (e) {
      if (!(e instanceof AppError) || !e.expose) throw e;
      const email = await passwordResetEmail(deps, token).catch(() => null);
      return c.html(
        <ResetPage token={token} email={email} error={e.message} />,
        e.status === 403 ? 403 : 400,
      );
    }
  });
  return app;
}
