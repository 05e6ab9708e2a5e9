import assert from "node:assert/strict";
import { jsonEachRow } from "../../src/destinations/clickhouse/client.ts";
import { inferType } from "../../src/destinations/warehouse/column_types.ts";
import { mapEvent } from "../../src/destinations/warehouse/layout.ts";

Deno.test("inferType() reads toISOString's form exactly as Date.parse does, edge dates included", () => {
  const cases: [string, "timestamp" | "text"][] = [
    ["2026-01-01T00:00:00.000Z", "timestamp"],
    ["2026-01-01T00:00:00Z", "timestamp"],
    ["9999-12-31T23:59:59.999Z", "timestamp"],
    ["2026-02-31T00:00:00.000Z", "timestamp"], // Date.parse rolls it over to March
    ["2026-02-32T00:00:00.000Z", "text"],
    ["2026-00-10T00:00:00.000Z", "text"],
    ["2026-13-10T00:00:00.000Z", "text"],
    ["2026-01-00T00:00:00.000Z", "text"],
    ["2026-01-01T23:60:00.000Z", "text"],
    ["2026-01-01T23:59:60.000Z", "text"],
    ["2026-01-01T24:00:00.000Z", "timestamp"], // midnight of the next day
    ["2026-01-01T24:00:01.000Z", "text"],
    ["2026-01-01T00:00:0x.000Z", "text"],
    ["2026-01-01t00:00:00.000z", "timestamp"],
    ["2026-01-01 00:00:00.000Z", "timestamp"],
    ["2026-01-01T00:00:00.000+02:00", "timestamp"],
    ["2026-01-01T00:00:00.000+25:00", "text"],
    ["2026-01-01T00:00:00.0Z", "timestamp"],
    ["2026-01-01T00:00:00.000ZZ", "text"],
  ];
  for (const [value, type] of cases) assert.equal(inferType(value), type, value);
});

Deno.test("jsonEachRow() writes the lines JSON.stringify would, leaving NULL cells out", () => {
  const columns = ["a", 'we"ird\\key', "n", "ü"];
  const rows = [
    ['x\ny"z\u2028', 1, 1.5, "é"],
    [null, null, null, null],
    [null, "", -0, null],
    ["only", null, 1e21, "\u0000"],
  ];
  const expected = rows.map((row) =>
    JSON.stringify(Object.fromEntries(columns.flatMap((c, i) => (row[i] === null ? [] : [[c, row[i]]]))))
  ).join("\n");
  assert.equal(jsonEachRow(columns, rows), expected);
  assert.equal(jsonEachRow(columns, rows, 1, 3), expected.split("\n").slice(1, 3).join("\n"));
  for (const line of jsonEachRow(columns, rows).split("\n")) JSON.parse(line);
});

Deno.test("mapEvent() keeps a __proto__ key from JSON an ordinary column and leaves the event untouched", () => {
  const text = '{"type":"track","event":"E","messageId":"m","properties":{"__proto__":{"x":1},"a":2},' +
    '"context":{"__proto__":{"y":3},"traits":{"groupId":"g"}}}';
  const event = JSON.parse(text);
  const [{ row }] = mapEvent(event, "segment-single-table");
  assert.deepEqual(row, {
    context___proto___y: 3,
    context_group_id: "g",
    __proto___x: 1,
    a: 2,
    event: "E",
    message_id: "m",
    type: "track",
  });
  assert.deepEqual(Object.keys(row), [
    "context___proto___y",
    "context_group_id",
    "__proto___x",
    "a",
    "event",
    "message_id",
    "type",
  ]);
  assert.equal(JSON.stringify(event), text);
  assert.equal(Object.getPrototypeOf({}).x, undefined);
});
