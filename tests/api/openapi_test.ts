import assert from "node:assert/strict";
import { RESOURCE_TYPES } from "../../src/resources/registry.ts";
import { expectJson, testApp } from "../_helpers/app.ts";

type Json = Record<string, unknown>;
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/** Follows a local JSON pointer (`#/components/schemas/Error`) from the document's root. */
function resolvePointer(doc: unknown, ref: string): unknown {
  assert.ok(ref.startsWith("#/"), `only local refs: ${ref}`);
  let node = doc;
  for (const raw of ref.slice(2).split("/")) {
    const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    assert.ok(typeof node === "object" && node !== null && key in node, `unresolved $ref ${ref}`);
    node = (node as Json)[key];
  }
  return node;
}

function collectRefs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) { for (const x of node) collectRefs(x, out); }
  else if (typeof node === "object" && node !== null) {
    for (const [k, v] of Object.entries(node)) {
      if (k === "$ref" && typeof v === "string") out.push(v);
      else collectRefs(v, out);
    }
  }
  return out;
}

/** The structural rules of OpenAPI 3.1 that a generator can get wrong. */
function assertValidOpenApi(doc: Json) {
  assert.match(String(doc.openapi), /^3\.1\.\d+$/);
  const info = doc.info as Json;
  assert.equal(typeof info.title, "string");
  assert.equal(typeof info.version, "string");
  const schemes = ((doc.components as Json).securitySchemes ?? {}) as Json;
  const operationIds = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
    assert.ok(path.startsWith("/"), path);
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const [method, op] of Object.entries(item as Record<string, Json>)) {
      const label = `${method.toUpperCase()} ${path}`;
      assert.ok(METHODS.includes(method), `${label}: not an HTTP method`);
      assert.ok(typeof op.summary === "string" && op.summary.length > 0, `${label}: summary`);
      const id = op.operationId as string;
      assert.ok(id && !operationIds.has(id), `${label}: operationId ${id} missing or repeated`);
      operationIds.add(id);
      const responses = op.responses as Record<string, Json>;
      assert.ok(Object.keys(responses).length > 0, `${label}: responses`);
      for (const [status, r] of Object.entries(responses)) {
        assert.match(status, /^[1-5]\d\d$/, label);
        assert.equal(typeof r.description, "string", `${label} ${status}: description`);
      }
      const params = (op.parameters ?? []) as Json[];
      for (const p of params) {
        assert.ok(["path", "query", "header", "cookie"].includes(p.in as string), `${label}: ${p.name}`);
        if (p.in === "path") assert.equal(p.required, true, `${label}: path parameter ${p.name}`);
      }
      const pathParams = params.filter((p) => p.in === "path").map((p) => p.name).sort();
      assert.deepEqual(pathParams, [...templated].sort(), `${label}: path parameters`);
      for (const req of (op.security ?? doc.security ?? []) as Json[]) {
        for (const name of Object.keys(req)) assert.ok(schemes[name], `${label}: security scheme ${name}`);
      }
    }
  }
  for (const ref of new Set(collectRefs(doc))) resolvePointer(doc, ref);
}

/** The document's path for a route path: `:ws` -> `{ws}`. */
function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}

Deno.test("GET /api/openapi.json is a valid OpenAPI 3.1 document (operations, parameters, $refs)", async () => {
  const t = await testApp();
  try {
    const res = await t.request("/api/openapi.json");
    const doc = await expectJson(res, 200);
    assertValidOpenApi(doc);
    for (const name of ["Destination", "Stream", "Service", "Function", "Connection", "Error"]) {
      assert.equal(typeof doc.components.schemas[name], "object", name);
      assert.equal(doc.components.schemas[name].$schema, undefined);
    }
    // Each resource type has its own paths and body schema, though one route serves them all.
    for (const type of RESOURCE_TYPES) {
      const create = doc.paths[`/api/{ws}/config/${type}`].post;
      const title = type[0].toUpperCase() + type.slice(1);
      assert.deepEqual(create.requestBody.content["application/json"].schema, {
        $ref: `#/components/schemas/${title}`,
      });
      assert.match(create.summary, new RegExp(`Create a ${type}$`));
      assert.ok(doc.paths[`/api/{ws}/config/${type}/{id}`].delete, type);
    }
    assert.equal(doc.paths["/api/{ws}/config/{type}"], undefined);
    assert.deepEqual(doc.paths["/api/schema/{type}"].get.security, []);
    assert.deepEqual(doc.security, [{ bearer: [] }]);
  } finally {
    await t.close();
  }
});

Deno.test("the OpenAPI document covers ingest (write keys), Live Events and API keys", async () => {
  const t = await testApp();
  try {
    const doc = await expectJson(await t.request("/api/openapi.json"), 200);
    for (const path of ["/api/s/{tp}", "/api/s/s2s/{tp}", "/v1/batch"]) {
      const op = doc.paths[path].post;
      assert.ok(op, path);
      assert.deepEqual(op.security.map((s: Json) => Object.keys(s)[0]).sort(), [
        "writeKeyBasic",
        "writeKeyHeader",
        "writeKeyQuery",
      ]);
      assert.equal(op.tags[0], "Ingest");
    }
    assert.equal(doc.components.securitySchemes.writeKeyHeader.name, "X-Write-Key");
    const live = doc.paths["/api/{ws}/log/{type}/{actorId}"].get;
    assert.deepEqual(live.tags, ["Live Events"]);
    const type = live.parameters.find((p: Json) => p.name === "type");
    assert.ok(type.schema.enum.includes("incoming"), "log types come from the Valibot schema");
    assert.ok(live.parameters.some((p: Json) => p.name === "cursor" && p.in === "query"));
    const keys = doc.paths["/api/user/keys"];
    assert.deepEqual(Object.keys(keys).sort(), ["delete", "get", "patch", "post"]);
    const body = keys.post.requestBody.content["application/json"].schema;
    assert.equal(body.properties.name.anyOf[0].maxLength, 200, "the body schema is ApiKeyCreateInput's");
    assert.equal(keys.post.security, undefined, "API keys use the document's bearer security");
  } finally {
    await t.close();
  }
});

Deno.test("every route under /api/ (and ingest's /v1/) is described in the OpenAPI document", async () => {
  const t = await testApp();
  try {
    const doc = await expectJson(await t.request("/api/openapi.json"), 200);
    const missing: string[] = [];
    const seen = new Set<string>();
    for (const r of t.app.routes) {
      if (!/^\/(api|v1)\//.test(r.path) || r.method === "ALL" || r.method === "OPTIONS") continue;
      const key = `${r.method} ${r.path}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const path = openApiPath(r.path);
      // One route serves every resource type: it is described once per type.
      const paths = path.startsWith("/api/{ws}/config/{type}")
        ? RESOURCE_TYPES.map((type) => path.replace("{type}", type))
        : [path];
      for (const p of paths) if (!doc.paths[p]?.[r.method.toLowerCase()]) missing.push(`${r.method} ${p}`);
    }
    assert.ok(seen.size > 30, `walked ${seen.size} routes`);
    assert.deepEqual(missing, [], "routes without a description");
  } finally {
    await t.close();
  }
});
