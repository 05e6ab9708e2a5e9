import { Hono } from "hono";
import { cors } from "hono/cors";
import type { AppEnv } from "../http/env.ts";
import { readJson } from "../http/body.ts";
import { clientIp } from "../http/client_ip.ts";
import { authorizeRouter } from "./authorize.tsx";
import type { DocumentFetchOptions } from "./client_metadata_document.ts";
import { noStore, oauthErrorHandler } from "./errors.ts";
import { metadataRouter } from "./metadata.ts";
import { registerClient, REGISTRATION } from "./register.ts";
import { revokeRouter } from "./revoke.ts";
import { tokenRouter } from "./token.ts";

// Browser-based MCP clients call these cross-origin, so they answer CORS.
// No cookies are involved, so any origin may call them.
const CORS_PATHS = [
  "/.well-known/oauth-authorization-server",
  "/.well-known/openid-configuration",
  "/oauth/token",
  "/oauth/register",
  "/oauth/revoke",
];

/**
 * The authorization server: metadata, registration, authorize + consent, token, revoke. `options`
 * replaces how client metadata documents are fetched (tests); the default fetches the real URL.
 */
export function oauthRouter(options: DocumentFetchOptions = {}) {
  const api = new Hono<AppEnv>();
  api.onError(oauthErrorHandler);
  for (const path of CORS_PATHS) {
    api.use(
      path,
      cors({
        origin: "*",
        allowMethods: ["GET", "POST", "OPTIONS"],
        allowHeaders: ["Authorization", "Content-Type", "MCP-Protocol-Version"],
        maxAge: 600,
      }),
    );
  }
  api.route("/", metadataRouter());
  api.post("/oauth/register", async function register(c) {
    const body = await readJson(c, { limit: REGISTRATION.maxBodyBytes });
    const registered = await registerClient(c.get("deps"), body, clientIp(c));
    noStore(c);
    return c.json(registered, 201);
  });
  api.route("/", tokenRouter(options));
  api.route("/", revokeRouter(options));

  const app = new Hono<AppEnv>();
  app.route("/", api);
  // Pages: errors there are HTML pages or redirects, never OAuth JSON.
  app.route("/", authorizeRouter(options));
  return app;
}
