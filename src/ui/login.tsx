import { Hono } from "hono";
import { loginLockedUntil, recordFailedLogin, recordSuccessfulLogin } from "../auth/login_throttle.ts";
import { verifyPassword } from "../auth/password.ts";
import {
  checkCsrf,
  checkLoginCsrf,
  endSession,
  loginCsrfToken,
  readSession,
  startSession,
} from "../auth/sessions.ts";
import { clientIp } from "../http/client_ip.ts";
import type { AppEnv } from "../http/env.ts";
import { findUserByEmail } from "../store/users_repo.ts";
import { Layout, pageHeaders } from "./layout.tsx";
import { readForm } from "../http/body.ts";

/** Where to go after login: a same-site path only, so `next` can never be an open redirect. */
export function safeNext(next: unknown): string {
  if (typeof next !== "string" || next.length > 4000) return "/user";
  // Browsers drop tabs and newlines from URLs ("/\t/evil.example" becomes "//evil.example"), and control
  // characters cannot go in a Location header: refuse them all, then let the URL parser decide.
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u0020\u007f\\]/.test(next) || !next.startsWith("/") || next.startsWith("//")) return "/user";
  const base = "http://sluice.invalid";
  const u = new URL(next, base);
  return u.origin === base ? u.pathname + u.search : "/user";
}

function LoginPage(
  { csrf, next, email, error }: { csrf: string; next: string; email?: string; error?: string },
) {
  return (
    <Layout title="Sign in">
      <div class="card">
        <h1>Sign in to Sluice</h1>
        {next.startsWith("/oauth/authorize")
          ? <p class="muted">An app asked to connect to your Sluice. Sign in to review the request.</p>
          : null}
        {error ? <p class="error" role="alert">{error}</p> : null}
        <form method="post" action="/login">
          <input type="hidden" name="csrf" value={csrf} />
          <input type="hidden" name="next" value={next} />
          <label for="email">Email</label>
          <input id="email" name="email" type="email" required autocomplete="username" value={email ?? ""} />
          <label for="password">Password</label>
          <input id="password" name="password" type="password" required autocomplete="current-password" />
          <button type="submit" id="sign-in">Sign in</button>
        </form>
      </div>
    </Layout>
  );
}

/** `/login` (email and password, rate-limited) and `/logout`. */
export function loginRouter() {
  const app = new Hono<AppEnv>();
  app.get("/login", async function showLogin(c) {
    const deps = c.get("deps");
    const next = safeNext(c.req.query("next"));
    if (await readSession(c, deps)) return c.redirect(next, 302);
    pageHeaders(c);
    return c.html(<LoginPage csrf={loginCsrfToken(c, deps)} next={next} />);
  });

  app.post("/login", async function submitLogin(c) {
    const deps = c.get("deps");
    pageHeaders(c);
    const form = await readForm(c);
    const field = (n: string) => (typeof form[n] === "string" ? (form[n] as string) : "");
    const next = safeNext(field("next"));
    const email = field("email").trim().toLowerCase().slice(0, 320);
    const page = (error: string, status: 400 | 401 | 403 | 429) =>
      c.html(<LoginPage csrf={loginCsrfToken(c, deps)} next={next} email={email} error={error} />, status);
    if (!checkLoginCsrf(c, field("csrf"))) {
      return page("The sign-in form expired. Please try again.", 403);
    }
    if (!email || !field("password")) return page("Enter your email and password.", 400);
    const ip = clientIp(c);
    const lockedUntil = await loginLockedUntil(deps, email, ip);
    if (lockedUntil) {
      const minutes = Math.max(1, Math.ceil((lockedUntil.getTime() - deps.clock.now().getTime()) / 60_000));
      c.header("Retry-After", String(minutes * 60));
      return page(
        `Too many failed attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`,
        429,
      );
    }
    const user = await findUserByEmail(deps.db, email);
    const ok = await verifyPassword(field("password").slice(0, 1024), user?.password_hash ?? null);
    if (!user || !ok) {
      await recordFailedLogin(deps, email, ip);
      return page("Wrong email or password.", 401);
    }
    await recordSuccessfulLogin(deps, email, ip);
    await startSession(c, deps, user.id);
    return c.redirect(next, 303);
  });

  app.post("/logout", async function logout(c) {
    const deps = c.get("deps");
    const session = await readSession(c, deps);
    const form = await readForm(c);
    if (session && await checkCsrf(deps, session, form.csrf)) await endSession(c, deps);
    return c.redirect("/login", 303);
  });
  return app;
}
