import assert from "node:assert/strict";
import { mapEvent } from "../../src/destinations/warehouse/layout.ts";
import { flattenObject } from "../../src/destinations/warehouse/flatten.ts";
import { quoteMysql, quotePg, sanitizeName } from "../../src/destinations/warehouse/identifiers.ts";
import { fits, inferType, widen } from "../../src/destinations/warehouse/column_types.ts";
import { trackEvent } from "./_targets.ts";

Deno.test("mapEvent() segment-single-table writes one row to events with snake_case flattened columns", () => {
  const rows = mapEvent(trackEvent({ messageId: "m1" }), "segment-single-table");
  assert.equal(rows.length, 1);
  const [{ table, row }] = rows;
  assert.equal(table, "events");
  assert.equal(row.message_id, "m1");
  assert.equal(row.type, "track");
  assert.equal(row.event, "Order Completed");
  assert.equal(row.user_id, "u1");
  assert.equal(row.context_page_url, "https://example.com/x");
  assert.equal(row.context_traits_email, "a@b.c");
  assert.equal(row.total, 10);
  assert.deepEqual(row.items, [{ sku: "a" }, { sku: "b" }]);
  assert.equal(row.properties_total, undefined);
});

Deno.test("mapEvent() segment writes a track to tracks and to a table named after the event", () => {
  const rows = mapEvent(trackEvent({ messageId: "m1" }), "segment");
  assert.deepEqual(rows.map((r) => r.table), ["tracks", "order_completed"]);
  assert.equal(rows[0].row.total, undefined, "tracks holds no properties");
  assert.equal(rows[0].row.message_id, "m1");
  assert.equal(rows[1].row.total, 10);
  assert.equal(rows[1].row.context_ip, "1.2.3.4");
});

Deno.test("mapEvent() segment puts pages and identifies in their own tables, traits at the top", () => {
  const page = mapEvent({ type: "page", messageId: "p", properties: { path: "/a" } }, "segment");
  assert.deepEqual(page.map((r) => r.table), ["pages"]);
  assert.equal(page[0].row.path, "/a");
  const identify = mapEvent(
    { type: "identify", messageId: "i", userId: "u", traits: { email: "x@y.z", plan: "pro" } },
    "segment",
  );
  assert.equal(identify[0].table, "identifies");
  assert.equal(identify[0].row.email, "x@y.z");
  assert.equal(identify[0].row.plan, "pro");
  const single = mapEvent(
    { type: "identify", messageId: "i", traits: { email: "x@y.z" } },
    "segment-single-table",
  );
  assert.equal(single[0].row.context_traits_email, "x@y.z");
  assert.equal(single[0].row.type, "identify");
});

Deno.test("mapEvent() passthrough keeps the event's own keys, flattened", () => {
  const rows = mapEvent({ messageId: "m", deep: { a: { b: 1 } }, list: [1, 2] }, "passthrough");
  assert.equal(rows[0].table, "events");
  assert.deepEqual(rows[0].row, { messageid: "m", deep_a_b: 1, list: [1, 2] });
});

Deno.test("mapEvent() honours $table and JITSU_TABLE_NAME and does not store them", () => {
  for (const key of ["$table", "JITSU_TABLE_NAME"]) {
    for (const layout of ["segment-single-table", "segment", "passthrough"] as const) {
      const rows = mapEvent(trackEvent({ [key]: "Custom Table" }), layout);
      assert.equal(rows.length, 1, `${key} ${layout}`);
      assert.equal(rows[0].table, "custom_table");
      assert.ok(
        !Object.keys(rows[0].row).some((k) => k.includes("table_name") || k.includes("table")),
        layout,
      );
    }
  }
});

Deno.test("sanitizeName() and quoting keep malicious names inert", () => {
  const evil = 'x"; drop table events; --';
  const name = sanitizeName(evil);
  assert.match(name, /^[a-z0-9_]+$/);
  assert.equal(quotePg(name), `"${name}"`);
  assert.equal(quoteMysql(name), `\`${name}\``);
  assert.equal(sanitizeName("`; drop database test; #"), "___drop_database_test___");
  assert.equal(sanitizeName("1st"), "_1st");
  assert.equal(sanitizeName(""), "_");
  assert.equal(sanitizeName("a".repeat(100)).length, 63);
  assert.equal(sanitizeName("a".repeat(100), 64).length, 64);
  // Quoting doubles quote characters even if an unsanitised name ever reached it.
  assert.equal(quotePg('a"b'), '"a""b"');
  assert.equal(quoteMysql("a`b"), "`a``b`");
  const flat = flattenObject({ [evil]: { "a.b": 1 } });
  assert.deepEqual(Object.keys(flat), ["x___drop_table_events_____a_b"]);
});

Deno.test("inferType(), fits() and widen() order types from narrow to text", () => {
  assert.equal(inferType(1), "bigint");
  assert.equal(inferType(1.5), "double");
  assert.equal(inferType(true), "boolean");
  assert.equal(inferType("2026-01-01T00:00:00.000Z"), "timestamp");
  assert.equal(inferType("2026-01-01"), "text");
  assert.equal(inferType("hello"), "text");
  assert.equal(inferType([1]), "json");
  assert.equal(widen("bigint", "double"), "double");
  assert.equal(widen("double", "text"), "text");
  assert.equal(widen("boolean", "bigint"), "text");
  assert.ok(fits("double", "bigint"));
  assert.ok(fits("text", "json"));
  assert.ok(!fits("bigint", "double"));
  assert.ok(!fits("foreign", "text"));
});

Deno.test("mapEvent() snake_cases keys inside arrays for segment layouts, not for passthrough", () => {
  const e = { type: "track", event: "x", messageId: "m", properties: { items: [{ skuId: 1 }, 2] } };
  assert.deepEqual(mapEvent(e, "segment-single-table")[0].row.items, [{ sku_id: 1 }, 2]);
  const same = [{ sku_id: 1 }];
  const row = mapEvent({ ...e, properties: { items: same } }, "segment-single-table")[0].row;
  assert.equal(row.items, same, "nothing to rename: the array is stored as given");
  assert.deepEqual(mapEvent({ items: [{ skuId: 1 }] }, "passthrough")[0].row.items, [{ skuId: 1 }]);
});
