/**
 * The routers that the HTTP app loads on their first request (src/app.ts, src/http/lazy_routes.ts): the
 * sign-in, setup and account pages, the OAuth authorization server and the web console. None of them is
 * needed to answer `/healthz` or the API, and together they are about 40 of the server's 280 modules.
 * Each group keeps its own place among the app's routers; its routes are listed in src/ui/page_routes.ts.
 */
import { Hono } from "hono";
import type { AppEnv } from "../http/env.ts";
import { oauthRouter } from "../oauth/router.ts";
import { consoleRouter } from "./console/router.tsx";
import { consoleHome } from "./console/shell.tsx";
import { inviteRouter } from "./invite.tsx";
import { loginRouter } from "./login.tsx";
import { resetPasswordRouter } from "./reset_password.tsx";
import { setupRouter } from "./setup.tsx";
import { userPageRouter } from "./user_page.tsx";

/** `/`: a signed-in user lands in the console (before the user page's own `/`). */
function consoleHomeRouter() {
  return new Hono<AppEnv>().get("/", consoleHome);
}

/** Each lazily loaded group's router, by the name src/app.ts mounts it under. */
export const PAGE_GROUPS = {
  setup: setupRouter,
  invite: inviteRouter,
  resetPassword: resetPasswordRouter,
  oauth: () => oauthRouter(),
  login: loginRouter,
  consoleHome: consoleHomeRouter,
  userPage: userPageRouter,
  console: consoleRouter,
} satisfies Record<string, () => Hono<AppEnv>>;

export type PageGroup = keyof typeof PAGE_GROUPS;
