import { Hono } from "hono";
import { readJson } from "../http/body.ts";
import type { AppEnv } from "../http/env.ts";
import { route } from "../http/route.ts";
import { createApiKey, listApiKeys, revokeApiKey, updateApiKey } from "../services/api_keys.ts";
import { ValidationError } from "../errors.ts";

function idParam(id: string | undefined): string {
  if (!id) throw new ValidationError("Query parameter id is required", [{ path: "id", message: "required" }]);
  return id;
}

/** Personal API keys, on Jitsu's paths: `/api/user/keys[?id=]`. */
export function userKeysRouter() {
  const app = new Hono<AppEnv>();
  route(app, "/api/user/keys", {
    GET: async (c) => c.json(await listApiKeys(c.get("ctx"))),
    POST: async (c) => c.json(await createApiKey(c.get("ctx"), await readJson(c)), 201),
    PATCH: async (c) =>
      c.json(await updateApiKey(c.get("ctx"), idParam(c.req.query("id")), await readJson(c))),
    DELETE: async (c) => c.json(await revokeApiKey(c.get("ctx"), idParam(c.req.query("id")))),
  });
  return app;
}
