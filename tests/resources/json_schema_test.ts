import assert from "node:assert/strict";
import { AppError } from "../../src/errors.ts";
import { DESTINATION_TYPES } from "../../src/resources/destinations/catalog.ts";
import { resourceJsonSchema } from "../../src/resources/json_schema.ts";
import { RESOURCE_TYPES } from "../../src/resources/registry.ts";

// The model-facing contract: every schema is snapshotted, so a change shows as a diff in review.
// `UPDATE_SNAPSHOTS=1 deno test -A tests/resources/json_schema_test.ts` rewrites them.
const DIR = new URL("./__snapshots__/", import.meta.url);
const UPDATE = Deno.env.get("UPDATE_SNAPSHOTS") === "1";

async function matchSnapshot(name: string, value: unknown) {
  const file = new URL(`${name}.json`, DIR);
  const text = JSON.stringify(value, null, 2) + "\n";
  if (UPDATE) {
    await Deno.writeTextFile(file, text);
    return;
  }
  let stored: string;
  try {
    stored = await Deno.readTextFile(file);
  } catch {
    throw new Error(`no snapshot ${name}.json: run with UPDATE_SNAPSHOTS=1 to create it`);
  }
  assert.deepEqual(
    JSON.parse(text),
    JSON.parse(stored),
    `schema ${name} changed: review, then UPDATE_SNAPSHOTS=1`,
  );
}

const CASES: [string, string | undefined][] = [
  ...RESOURCE_TYPES.map((t) => [t, undefined] as [string, undefined]),
  ...DESTINATION_TYPES.map((d) => ["destination", d.id] as [string, string]),
  ...DESTINATION_TYPES.map((d) => ["connection", d.id] as [string, string]),
];

for (const [type, subtype] of CASES) {
  const name = subtype ? `${type}.${subtype}` : type;
  Deno.test(`resourceJsonSchema("${type}"${subtype ? `, "${subtype}"` : ""}) converts and matches its snapshot`, async () => {
    const schema = resourceJsonSchema(type, subtype);
    assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
    assert.equal(typeof schema.title, "string");
    await matchSnapshot(name, schema);
  });
}

Deno.test("every destination type's schema names its credentials and marks no secret outside them", () => {
  for (const d of DESTINATION_TYPES) {
    const schema = resourceJsonSchema("destination", d.id) as {
      properties: Record<string, unknown>;
      required: string[];
      description?: string;
    };
    assert.deepEqual(schema.properties.destinationType, {
      const: d.id,
      description: `Always "${d.id}" for ${d.title}.`,
    });
    assert.ok(schema.required.includes("name") && schema.required.includes("destinationType"), d.id);
    for (const s of d.secrets) {
      assert.ok(s.path.split(".")[0] in schema.properties, `${d.id}: secret ${s.path}`);
    }
    if (!d.deliverable) assert.match(String(schema.description), /Not deliverable yet/);
  }
});

Deno.test("resourceJsonSchema() rejects an unknown type or subtype and lists the known ones", () => {
  assert.throws(() => resourceJsonSchema("widget"), (e: AppError) => {
    assert.equal(e.status, 400);
    assert.equal(
      e.message,
      'Unknown resource type "widget"; known types: destination, stream, service, function, connection',
    );
    return true;
  });
  assert.throws(() => resourceJsonSchema("destination", "kafka"), (e: AppError) => {
    assert.equal(e.status, 404);
    assert.match(e.message, /^Unknown destination subtype "kafka"; known: webhook, devnull, postgres, /);
    return true;
  });
  assert.throws(() => resourceJsonSchema("stream", "x"), /Type stream has no subtypes/);
});

Deno.test("resourceJsonSchema() returns the same object on every call (built once per process)", () => {
  assert.equal(resourceJsonSchema("function"), resourceJsonSchema("function"));
});
