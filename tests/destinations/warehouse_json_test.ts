import assert from "node:assert/strict";
import { Warehouse } from "../../src/destinations/warehouse/warehouse.ts";
import { parseWarehouseOptions } from "../../src/destinations/warehouse/credentials.ts";
import { type Target, TARGETS, trackEvent } from "./_targets.ts";

function warehouse(t: Target): Warehouse {
  return new Warehouse(t.client, parseWarehouseOptions({ mode: "stream" }));
}

async function withTarget(open: () => Promise<Target>, fn: (t: Target) => Promise<void>) {
  const t = await open();
  try {
    await fn(t);
  } finally {
    await t.drop();
  }
}

/** What the warehouse itself says a stored value is (`array`, `string`, ...), and its JSON text. */
async function jsonOf(t: Target, column: string, messageId: string): Promise<{ kind: string; text: string }> {
  const c = t.client.quote(column);
  const rows = t.kind === "postgres"
    ? await t.client.query(
      `select jsonb_typeof(${c}) as kind, ${c}::text as text from ${
        t.client.table("events")
      } where message_id = $1`,
      [messageId],
    )
    : await t.client.query(
      `select json_type(${c}) as kind, cast(${c} as char) as text from ${
        t.client.table("events")
      } where message_id = ?`,
      [messageId],
    );
  return { kind: String(rows[0].kind).toLowerCase(), text: String(rows[0].text) };
}

for (const { name, open } of TARGETS) {
  Deno.test(`[${name}] write() stores an array property as a JSON array in a JSON column`, async () => {
    await withTarget(open, async (t) => {
      const out = await warehouse(t).write([
        trackEvent({
          messageId: "m1",
          properties: { tags: ["a"], items: [{ sku: "x", qty: 2 }], flags: [true] },
        }),
      ]);
      assert.equal(out.committed, true, out.error);
      assert.equal((await t.client.loadColumns("events"))?.get("tags"), "json");
      const tags = await jsonOf(t, "tags", "m1");
      assert.equal(tags.kind, "array");
      assert.deepEqual(JSON.parse(tags.text), ["a"]);
      assert.deepEqual(JSON.parse((await jsonOf(t, "items", "m1")).text), [{ sku: "x", qty: 2 }]);
      assert.deepEqual(JSON.parse((await jsonOf(t, "flags", "m1")).text), [true]);
    });
  });

  Deno.test(`[${name}] write() into an existing text column stores arrays as JSON text`, async () => {
    await withTarget(open, async (t) => {
      const q = t.client.quote;
      await t.client.query(
        `create table ${t.client.table("events")} (${q("message_id")} varchar(255) primary key, ${
          q("tags")
        } varchar(200), ${q("items")} text)`,
      );
      const out = await warehouse(t).write([
        trackEvent({ messageId: "m1", properties: { tags: ["a", "b"], items: [{ sku: "x" }] } }),
      ]);
      assert.equal(out.committed, true, out.error);
      const types = await t.columns("events");
      assert.match(types.tags, /^(character varying|varchar)$/);
      assert.equal(types.items, "text");
      const [row] = await t.rows("events");
      assert.equal(row.tags, '["a","b"]');
      assert.deepEqual(JSON.parse(String(row.items)), [{ sku: "x" }]);
    });
  });

  Deno.test(`[${name}] write() widens a JSON column to text when a string arrives, keeping the arrays`, async () => {
    await withTarget(open, async (t) => {
      const wh = warehouse(t);
      const first = await wh.write([trackEvent({ messageId: "m1", properties: { tags: ["a"] } })]);
      assert.equal(first.committed, true, first.error);
      const second = await wh.write([trackEvent({ messageId: "m2", properties: { tags: "plain" } })]);
      assert.equal(second.committed, true, second.error);
      assert.equal((await t.client.loadColumns("events"))?.get("tags"), "text");
      const rows = await t.rows("events");
      assert.deepEqual(JSON.parse(String(rows[0].tags)), ["a"]);
      assert.equal(rows[1].tags, "plain");
    });
  });
}
