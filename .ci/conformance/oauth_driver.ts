/**
 * Runs the official conformance suite's `authorization` mode (`@modelcontextprotocol/conformance`
 * 0.2.0-alpha.12; 0.1.16 has no such mode) against a throwaway Sluice, with a scripted approval:
 * the suite prints an authorization URL and waits for a browser; this script plays the browser over
 * plain HTTP (sign in, read the consent form and its CSRF token, approve, follow the redirect to the
 * suite's loopback callback). Exits with the suite's exit code.
 */
import { startServer } from "../../src/server.ts";
import { createUser } from "../../src/services/users.ts";
import { createWorkspace } from "../../src/services/workspaces.ts";
import { cliPrincipal } from "../../src/auth/principal.ts";
import { testApp } from "../../tests/_helpers/app.ts";

const TOOL = "npm:@modelcontextprotocol/conformance@0.2.0-alpha.12";
const out = Deno.args[0] ?? await Deno.makeTempDir({ prefix: "sluice-oauth-conformance-" });

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

const port = freePort();
const callbackPort = freePort();
const issuer = `http://127.0.0.1:${port}`;
const t = await testApp({ env: { PUBLIC_URL: issuer, PORT: String(port), LOG_LEVEL: "warn" } });
const email = "conformance@example.com";
const password = "conformance-password";
const user = await createUser(t.deps.db, { email, password });
await createWorkspace({ ...t.deps, principal: cliPrincipal(user), requestId: "ci" }, { name: "Conformance" });
const server = await startServer(t.deps, { port, hostname: "127.0.0.1" });

/** A tiny cookie jar: enough for the login and consent forms. */
const jar = new Map<string, string>();
function remember(res: Response) {
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(";");
    const i = pair.indexOf("=");
    jar.set(pair.slice(0, i), pair.slice(i + 1));
  }
}
function cookies() {
  return [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
}
async function browse(url: string, init: RequestInit = {}) {
  const res = await fetch(url, {
    ...init,
    redirect: "manual",
    headers: { ...(init.headers ?? {}), cookie: cookies() },
  });
  remember(res);
  return res;
}
function field(html: string, name: string): string {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!m) throw new Error(`no ${name} field in:\n${html}`);
  return m[1].replaceAll("&amp;", "&");
}
const form = (o: Record<string, string>) => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(o).toString(),
});

/** Signs in and approves (read-only, the first workspace); returns after the callback was called. */
async function approve(authorizationUrl: string) {
  let res = await browse(authorizationUrl);
  if (res.status === 302 && res.headers.get("location")!.startsWith("/login")) {
    await res.body?.cancel();
    const loginUrl = new URL(res.headers.get("location")!, issuer).toString();
    const page = await (await browse(loginUrl)).text();
    res = await browse(
      `${issuer}/login`,
      form({ csrf: field(page, "csrf"), next: field(page, "next"), email, password }),
    );
    if (res.status !== 303) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
    await res.body?.cancel();
    res = await browse(authorizationUrl);
  }
  const consent = await res.text();
  if (res.status !== 200) throw new Error(`consent page: ${res.status} ${consent}`);
  const workspace = /name="workspace" value="([^"]+)"/.exec(consent)![1];
  res = await browse(
    `${issuer}/oauth/authorize`,
    form({
      csrf: field(consent, "csrf"),
      request: field(consent, "request"),
      decision: "approve",
      access: "read",
      workspace,
    }),
  );
  if (res.status !== 303) throw new Error(`approval failed: ${res.status} ${await res.text()}`);
  await res.body?.cancel();
  // The suite starts its callback listener asynchronously: retry briefly if it is not up yet.
  let callback: Response | null = null;
  for (let attempt = 0; !callback; attempt++) {
    try {
      callback = await fetch(res.headers.get("location")!);
    } catch (e) {
      if (attempt >= 25) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  await callback.body?.cancel();
  console.error(`[oauth-conformance] approved; callback answered ${callback.status}`);
}

let code = 1;
try {
  const reg = await fetch(`${issuer}/oauth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      client_name: "MCP conformance suite",
      redirect_uris: [`http://127.0.0.1:${callbackPort}/callback`],
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
    }),
  });
  const client = await reg.json();
  if (reg.status !== 201) throw new Error(`registration failed: ${JSON.stringify(client)}`);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      // Test tools resolve through the tests' lockfile, so deno.lock keeps only what the server runs.
      `--lock=${new URL("../../tests/deno.lock", import.meta.url).pathname}`,
      TOOL,
      "authorization",
      "--url",
      issuer,
      "--client-id",
      client.client_id,
      "--resource",
      `${issuer}/mcp`,
      "-p",
      String(callbackPort),
      "-o",
      out,
    ],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const dec = new TextDecoder();
  let buffered = "";
  let approving: Promise<void> | null = null;
  let approvalFailed = false;
  for await (const chunk of child.stdout) {
    const text = dec.decode(chunk, { stream: true });
    await Deno.stdout.write(chunk);
    buffered += text;
    const m = /^(http\S+\/oauth\/authorize\?\S+)$/m.exec(buffered);
    if (m && !approving) {
      approving = approve(m[1]).catch(function onApprovalError(e) {
        // Without an approval the suite would wait five minutes for its callback: stop it now.
        console.error(`[oauth-conformance] scripted approval failed: ${(e as Error).message}`);
        approvalFailed = true;
        child.kill("SIGTERM");
      });
    }
  }
  await approving;
  code = approvalFailed ? 1 : (await child.status).code;
  if (!approving) {
    console.error("[oauth-conformance] the suite never printed an authorization URL");
    code = code || 1;
  }
} catch (e) {
  console.error(`[oauth-conformance] ${(e as Error).stack}`);
  code = 1;
} finally {
  await server.shutdown();
}
console.error(`[oauth-conformance] results in ${out}; exit ${code}`);
Deno.exit(code);
