import { Hono } from "hono";
import { AppError } from "../errors.ts";
import type { AppEnv } from "../http/env.ts";
import { completeSetup } from "../services/bootstrap.ts";
import { Layout, NewPasswordField, pageHeaders } from "./layout.tsx";
import { readForm } from "../http/body.ts";

function SetupPage(
  { token, error, email, workspace, slug }: {
    token: string;
    error?: string;
    email?: string;
    workspace?: string;
    slug?: string;
  },
) {
  return (
    <Layout title="Set up">
      <div class="card">
        <h1>Create the first admin</h1>
        <p class="muted">
          This link works once, for 24 hours. The account you create here administers this Sluice.
        </p>
        {error ? <p class="error" role="alert">{error}</p> : null}
        <form method="post" action="/setup">
          <input type="hidden" name="token" value={token} />
          <label for="email">Email</label>
          <input id="email" name="email" type="email" required autocomplete="username" value={email ?? ""} />
          <NewPasswordField />
          <label for="workspace">First workspace</label>
          <input id="workspace" name="workspace" type="text" value={workspace ?? "My workspace"} />
          <label for="slug">Its slug in URLs (3-64 lowercase letters, digits or '-')</label>
          <input
            id="slug"
            name="slug"
            type="text"
            required
            pattern="[a-z0-9][a-z0-9\-]{1,62}[a-z0-9]"
            value={slug ?? "my-workspace"}
          />
          <button type="submit">Create admin</button>
        </form>
      </div>
    </Layout>
  );
}

/** `/setup?token=...`: the one-time page that creates the first admin. */
export function setupRouter() {
  const app = new Hono<AppEnv>();
  app.get("/setup", function showSetup(c) {
    pageHeaders(c);
    const token = c.req.query("token") ?? "";
    return c.html(
      <SetupPage
        token={token}
        error={token ? undefined : "This page needs the link printed in the server log."}
      />,
    );
  });
  app.post("/setup", async function submitSetup(c) {
    pageHeaders(c);
    const form = await readForm(c);
    const field = (n: string) => (typeof form[n] === "string" ? form[n] as string : "");
    try {
      await completeSetup(c.get("deps"), {
        token: field("token"),
        email: field("email"),
        password: field("password"),
        workspaceName: field("workspace"),
        workspaceSlug: field("slug"),
      });
    } catch (e) {
      if (!(e instanceof AppError) || !e.expose) throw e;
      return c.html(
        <SetupPage
          token={field("token")}
          email={field("email")}
          workspace={field("workspace")}
          slug={field("slug")}
          error={e.message}
        />,
        e.status as 400,
      );
    }
    return c.html(
      <Layout title="Ready">
        <div class="card">
          <h1>Sluice is ready</h1>
          <p class="ok">The admin account {field("email")} was created.</p>
          <p>
            Next, <a href="/user">create a personal API key</a>{" "}
            for scripts and MCP clients (sign in with this account first).
          </p>
        </div>
      </Layout>,
    );
  });
  return app;
}
