/**
 * Headless Chromium for page tests: Debian's `chromium` through playwright-core (never `npx playwright
 * install`, which downloads a browser), and a real Sluice on a free port whose PUBLIC_URL is its own URL.
 */
import { type Browser, chromium, type Page } from "../_helpers/test_tools.ts";
import { startServer } from "../../src/server.ts";
import { createUser } from "../../src/services/users.ts";
import { createWorkspace } from "../../src/services/workspaces.ts";
import { cliPrincipal } from "../../src/auth/principal.ts";
import { type TestApp, testApp } from "../_helpers/app.ts";

export const CHROMIUM = "/usr/bin/chromium";
export const ARTIFACTS = new URL("../_artifacts/", import.meta.url).pathname;

/** Launches Debian's Chromium headless with the flags that keep it quiet and offline. */
export async function launchChromium(): Promise<Browser> {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does this)`);
  }
  return await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-sync",
    ],
  });
}

/** A TCP port nothing listens on right now. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

export interface LiveSluice {
  t: TestApp;
  url: string;
  user: { id: string; email: string; password: string; workspaceId: string; workspaceName: string };
  stop(): Promise<void>;
}

/** A real server on 127.0.0.1 with a user who has a password and a workspace. */
export async function liveSluice(): Promise<LiveSluice> {
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const t = await testApp({ env: { PUBLIC_URL: url, PORT: String(port) } });
  const password = "browser-test-password";
  const row = await createUser(t.deps.db, { email: "pat@example.com", password });
  const ws = await createWorkspace(
    { ...t.deps, principal: cliPrincipal(row), requestId: "browser-test" },
    { name: "Pat's workspace" },
  );
  const server = await startServer(t.deps, { port, hostname: "127.0.0.1" });
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  return {
    t,
    url,
    user: { id: row.id, email: row.email, password, workspaceId: ws.id, workspaceName: ws.name },
    stop: () => server.shutdown(),
  };
}

/**
 * Waits until `expression` is true in the page, polling with `page.evaluate` (the DevTools protocol, which
 * the pages' Content Security Policy does not cover). `page.waitForFunction` evaluates its predicate a first
 * time that way but polls with an in-page `eval`, which our CSP (no 'unsafe-eval') refuses: it failed
 * whenever the condition was not already true at the first look.
 */
export async function waitForTrue(page: Page, expression: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await page.evaluate<boolean>(`Boolean(${expression})`))) {
    if (Date.now() > until) throw new Error(`not true within ${ms} ms: ${expression}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
