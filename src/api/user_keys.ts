import { Hono } from "hono";
import { readJson } from "../http/body.ts";
import type { AppEnv } from "../http/env.ts";
import { route } from "../http/route.ts";
import {
  ApiKeyCreateInput,
  ApiKeyUpdateInput,
  createApiKey,
  listApiKeys,
  revokeApiKey,
  updateApiKey,
} from "../services/api_keys.ts";
import { ValidationError } from "../errors.ts";
import { documented, errors, jsonBody, ok, queryParam } from "./route_docs.ts";

const TAGS = ["API keys"];
const KEY_ID = {
  ...queryParam("id", { type: "string" }, "The key's id (the part before the colon)"),
  required: true,
};
const KEY = "`{id, name, hint, createdAt, lastUsed, expiresAt}`; never the secret";

function idParam(id: string | undefined): string {
  if (!id) throw new ValidationError("Query parameter id is required", [{ path: "id", message: "required" }]);
  return id;
}

/** Personal API keys, on Jitsu's paths: `/api/user/keys[?id=]`. */
export function userKeysRouter() {
  const app = new Hono<AppEnv>();
  route(app, "/api/user/keys", {
    GET: documented(
      {
        tags: TAGS,
        summary: "List your personal API keys",
        responses: { "200": ok(`An array of keys: ${KEY}`, { type: "array" }), ...errors("401") },
      },
      async (c) => c.json(await listApiKeys(c.get("ctx"))),
    ),
    POST: documented(
      {
        tags: TAGS,
        summary: "Create a personal API key",
        description: "The answer's `plaintext` (`keyId:keySecret`) is the only time the secret is shown.",
        requestBody: jsonBody(ApiKeyCreateInput),
        responses: {
          "201": ok(`The key: ${KEY}, plus \`plaintext\` once`),
          ...errors("400", "401", "403"),
        },
      },
      async (c) => c.json(await createApiKey(c.get("ctx"), await readJson(c)), 201),
    ),
    PATCH: documented(
      {
        tags: TAGS,
        summary: "Rename a key or change when it expires",
        parameters: [KEY_ID],
        requestBody: jsonBody(ApiKeyUpdateInput),
        responses: { "200": ok(`The key: ${KEY}`), ...errors("400", "401", "404") },
      },
      async (c) => c.json(await updateApiKey(c.get("ctx"), idParam(c.req.query("id")), await readJson(c))),
    ),
    DELETE: documented(
      {
        tags: TAGS,
        summary: "Revoke a key: requests with it get 401 from then on",
        parameters: [KEY_ID],
        responses: { "200": ok("The revoked key"), ...errors("400", "401", "404") },
      },
      async (c) => c.json(await revokeApiKey(c.get("ctx"), idParam(c.req.query("id")))),
    ),
  });
  return app;
}
