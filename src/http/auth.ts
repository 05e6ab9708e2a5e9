import type { Context, Next } from "hono";
import { authenticateBearer, bearerToken } from "../auth/authenticate.ts";
import type { AppEnv } from "./env.ts";
import { errorBody } from "./rest_errors.ts";

/** Authenticates `Authorization: Bearer ...` and puts the service context on `c`; 401 otherwise. */
export async function requireAuth(c: Context<AppEnv>, next: Next) {
  const deps = c.get("deps");
  const token = bearerToken(c.req.header("authorization"));
  const principal = token ? await authenticateBearer(deps, token) : null;
  if (!principal) {
    c.header("WWW-Authenticate", token ? 'Bearer error="invalid_token"' : "Bearer");
    const message = token
      ? "Invalid, expired or revoked credentials"
      : "Authentication required: send Authorization: Bearer <keyId>:<keySecret>";
    return c.json(errorBody(c, "unauthorized", message), 401);
  }
  c.set("ctx", { ...deps, principal, requestId: c.get("requestId"), channel: "rest" });
  await next();
}
