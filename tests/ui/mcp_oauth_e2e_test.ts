/**
 * MCP over OAuth end to end: the MCP SDK's own 1.x client with its OAuth provider runs discovery (RFC 9728 ->
 * RFC 8414), dynamic registration (RFC 7591) and the authorization code flow with PKCE; a headless
 * Chromium signs in and approves; the client lists tools and creates a resource; the connection shows
 * on /user; revoking it there makes the client's next call fail with 401; a read-only grant cannot create.
 */
import assert from "node:assert/strict";
import type { Page } from "../_helpers/test_tools.ts";
import {
  Client,
  type OAuthClientProvider,
  StreamableHTTPClientTransport,
  UnauthorizedError,
} from "../_helpers/mcp_sdk_v1.ts";
import { ARTIFACTS, freePort, launchChromium, type LiveSluice, liveSluice } from "./_browser.ts";

type Provider = OAuthClientProvider & {
  authorizationUrl: URL | null;
  redirects: number;
  accessToken(): string | undefined;
};

/** An in-memory OAuth provider, as an MCP host would keep one per server. */
function memoryProvider(callback: string): Provider {
  // deno-lint-ignore no-explicit-any
  let info: any, tokens: any, verifier = "", discovery: any;
  const p: Provider = {
    authorizationUrl: null,
    redirects: 0,
    accessToken: () => tokens?.access_token,
    get redirectUrl() {
      return callback;
    },
    get clientMetadata() {
      return {
        client_name: "SDK e2e client",
        redirect_uris: [callback],
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        token_endpoint_auth_method: "none",
      };
    },
    clientInformation: () => info,
    saveClientInformation: (i) => {
      info = i;
    },
    tokens: () => tokens,
    saveTokens: (t) => {
      tokens = t;
    },
    redirectToAuthorization: (url) => {
      p.authorizationUrl = url;
      p.redirects++;
    },
    saveCodeVerifier: (v) => {
      verifier = v;
    },
    codeVerifier: () => verifier,
    saveDiscoveryState: (s) => {
      discovery = s;
    },
    discoveryState: () => discovery,
    invalidateCredentials: (scope) => {
      if (scope === "all" || scope === "tokens") tokens = undefined;
      if (scope === "all" || scope === "client") info = undefined;
    },
  };
  return p;
}

/** A loopback redirect target, as Claude Code and VS Code open one (RFC 8252 §7.3). */
function callbackServer() {
  const port = freePort();
  const { promise, resolve } = Promise.withResolvers<URL>();
  const server = Deno.serve({ port, hostname: "127.0.0.1", onListen() {} }, (req) => {
    resolve(new URL(req.url));
    return new Response("You can close this tab.", { headers: { "content-type": "text/plain" } });
  });
  return { url: `http://127.0.0.1:${port}/callback`, received: promise, close: () => server.shutdown() };
}

/** Connects the SDK client: 401 -> discovery -> registration -> browser consent -> code -> tokens. */
async function connectWithBrowser(
  live: LiveSluice,
  page: Page,
  { access, screenshot }: { access: "read" | "write"; screenshot?: string },
) {
  const cb = callbackServer();
  const provider = memoryProvider(cb.url);
  const mcpUrl = new URL(`${live.url}/mcp`);
  try {
    const first = new Client({ name: "sluice-oauth-e2e", version: "1.0.0" });
    await assert.rejects(
      first.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider })),
      UnauthorizedError,
    );
    assert.ok(provider.authorizationUrl, "the client was sent to the authorization endpoint");
    const authz = provider.authorizationUrl!;
    assert.equal(`${authz.origin}${authz.pathname}`, `${live.url}/oauth/authorize`);
    assert.equal(authz.searchParams.get("code_challenge_method"), "S256");
    assert.equal(authz.searchParams.get("resource"), `${live.url}/mcp`);

    await page.goto(authz.toString());
    if (page.url().includes("/login")) {
      await page.fill("#email", live.user.email);
      await page.fill("#password", live.user.password);
      await page.click("#sign-in");
    }
    await page.waitForSelector("#approve");
    assert.match(await page.textContent("h1") ?? "", /SDK e2e client/);
    assert.match(await page.content(), /unverified/);
    await page.check(`input[name=workspace][value="${live.user.workspaceId}"]`);
    await page.check(`input[name=access][value="${access}"]`);
    if (screenshot) await page.screenshot({ path: `${ARTIFACTS}${screenshot}`, fullPage: true });
    await page.click("#approve");
    const redirected = await cb.received;
    assert.equal(redirected.searchParams.get("iss"), live.url, "RFC 9207 iss on the authorization response");
    const code = redirected.searchParams.get("code")!;

    const transport = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider });
    await transport.finishAuth(code);
    const client = new Client({ name: "sluice-oauth-e2e", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider }));
    return { client, provider };
  } finally {
    await cb.close();
  }
}

// deno-lint-ignore no-explicit-any
type Result = { isError?: boolean; structuredContent?: any; content: { type: string; text?: string }[] };

Deno.test({
  name:
    "e2e: SDK 1.x OAuth client + Chromium consent -> tools -> /user shows the app -> revoke -> 401; read-only cannot create",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const live = await liveSluice();
    const browser = await launchChromium();
    try {
      const context = await browser.newContext();
      const page = await context.newPage();

      // Read-write connection.
      const rw = await connectWithBrowser(live, page, { access: "write", screenshot: "consent_page.png" });
      const { tools } = await rw.client.listTools();
      assert.ok(tools.some((t) => t.name === "create_resource"));
      const listed = await rw.client.callTool({ name: "list_workspaces", arguments: {} }) as Result;
      assert.deepEqual(
        listed.structuredContent.workspaces.map((w: { id: string }) => w.id),
        [live.user.workspaceId],
      );
      const created = await rw.client.callTool({
        name: "create_resource",
        arguments: { workspaceId: live.user.workspaceId, type: "stream", data: { name: "From OAuth" } },
      }) as Result;
      assert.ok(!created.isError, JSON.stringify(created.content));
      assert.equal(created.structuredContent.name, "From OAuth");

      // The connection is on /user.
      await page.goto(`${live.url}/user`);
      const row = page.locator(".connection", { hasText: "SDK e2e client" });
      assert.equal(await row.count(), 1);
      assert.match(await row.textContent() ?? "", /read-write/);
      assert.match(await row.textContent() ?? "", new RegExp(live.user.workspaceName.replace("'", ".")));
      await page.screenshot({ path: `${ARTIFACTS}user_page_connected_app.png`, fullPage: true });

      // Revoke it there: the client's next call fails with 401 and it is sent back to authorize.
      const oldToken = rw.provider.accessToken()!;
      await row.locator("button.danger").click();
      await page.waitForURL(/notice=app-revoked/);
      const redirectsBefore = rw.provider.redirects;
      await assert.rejects(rw.client.callTool({ name: "list_workspaces", arguments: {} }), UnauthorizedError);
      assert.equal(rw.provider.redirects, redirectsBefore + 1, "the client must ask the user again");
      const raw = await fetch(`${live.url}/mcp`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${oldToken}`,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      });
      assert.equal(raw.status, 401);
      assert.match(raw.headers.get("www-authenticate")!, /invalid_token/);
      await raw.body?.cancel();
      await rw.client.close().catch(() => {});

      // Read-only connection (the consent default): write tools answer isError, reads work.
      const ro = await connectWithBrowser(live, page, { access: "read" });
      const denied = await ro.client.callTool({
        name: "create_resource",
        arguments: { workspaceId: live.user.workspaceId, type: "stream", data: { name: "Nope" } },
      }) as Result;
      assert.equal(denied.isError, true);
      assert.match(denied.content[0].text ?? "", /read-only/);
      const reads = await ro.client.callTool({ name: "list_workspaces", arguments: {} }) as Result;
      assert.ok(!reads.isError);
      await ro.client.close().catch(() => {});
      await context.close();
    } finally {
      await browser.close();
      await live.stop();
    }
  },
});
