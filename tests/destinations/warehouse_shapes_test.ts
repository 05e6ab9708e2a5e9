/**
 * Compiled mappers (src/destinations/warehouse/shapes.ts) against the generic path they stand in
 * for: on thousands of generated events of repeating and varying shapes, every layout must give
 * mapEvent()'s tables, keys in order and values; the column types and the ClickHouse lines built from
 * shapes must be those built value by value.
 */
import assert from "node:assert/strict";
import { JsonRowsWriter } from "../../src/destinations/clickhouse/json_rows.ts";
import { mapEvent } from "../../src/destinations/warehouse/layout.ts";
import { type Group, neededTypes } from "../../src/destinations/warehouse/prepare.ts";
import { EventMapper } from "../../src/destinations/warehouse/shapes.ts";
import type { DataLayout, ExistingType, FlatValue } from "../../src/destinations/warehouse/types.ts";

const LAYOUTS: DataLayout[] = ["segment-single-table", "segment", "passthrough"];

/** A small seeded generator, so a failure can be replayed. */
function random(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  return { next, int, pick };
}

type Rng = ReturnType<typeof random>;

const KEYS = [
  "total",
  "currency",
  "orderId",
  "user-name",
  "1st",
  "traits",
  "context",
  "type",
  "userId",
  "context_ip",
  "groupId",
  "items",
  "Page Url",
  "ÜberKey",
  "nested",
  "_unmapped_data",
  "$table",
];

/** A leaf of a random kind (JSON's kinds, and the few a function could add). */
function leaf(r: Rng, kind: string): unknown {
  switch (kind) {
    case "s":
      return r.pick(["a", "", 'x\ny"z', "2026-01-0" + (1 + r.int(8)) + "T00:00:00.000Z", "é€😀", "1.5"]);
    case "n":
      return r.pick([0, 1, -7, 1.5, 2 ** 60, 1e21]) + r.int(3);
    case "x":
      return r.pick([NaN, Infinity, -Infinity]);
    case "b":
      return r.next() < 0.5;
    case "z":
      return null;
    case "u":
      return undefined;
    case "a":
      return r.pick([[], [1, "x"], [{ skuId: r.int(9), qty: 1 }], [{ sku_id: "s" }, [{ innerKey: 1 }]]]);
    case "d":
      return new Date(Date.UTC(2026, 0, 1 + r.int(9)));
    case "i":
      return BigInt(r.int(100));
  }
  return undefined;
}

interface Template {
  top: [string, string | Template][];
}

const KINDS = ["s", "s", "s", "n", "n", "b", "a", "z", "x", "o", "o"];

/** A shape: keys in order, each a leaf kind or a nested template. */
function template(r: Rng, depth: number): Template {
  const top: [string, string | Template][] = [];
  const n = r.int(depth === 0 ? 5 : 4);
  for (let i = 0; i < n; i++) {
    const key = r.next() < 0.02 ? "__proto__" : r.pick(KEYS);
    if (top.some(([k]) => k === key)) continue;
    const kind = r.pick(depth < 2 ? KINDS : KINDS.filter((k) => k !== "o"));
    const rare = r.next() < 0.03 ? r.pick(["d", "i", "u"]) : kind;
    top.push([key, kind === "o" ? template(r, depth + 1) : rare]);
  }
  return { top };
}

/** An object of the template's shape with fresh values. */
function fill(r: Rng, t: Template): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, kind] of t.top) {
    const value = typeof kind === "string" ? leaf(r, kind) : fill(r, kind);
    if (k === "__proto__") {
      Object.defineProperty(o, k, { value, enumerable: true, writable: true, configurable: true });
    } else o[k] = value;
  }
  return o;
}

interface EventTemplate {
  head: Record<string, unknown>;
  context?: Template;
  properties?: Template;
  traits?: Template;
  extra?: Template;
}

function eventTemplate(r: Rng): EventTemplate {
  const odd = r.next() < 0.05; // a type, event or table override that is not a string
  const head: Record<string, unknown> = {
    type: odd
      ? r.pick([7, [1]])
      : r.pick(["track", "track", "page", "identify", "group", "alias", "screen", ""]),
    event: odd ? r.pick([3, undefined]) : r.pick(["Order Completed", "Signed Up", "", undefined]),
  };
  const table = r.pick([undefined, undefined, undefined, "Custom Table", "", odd ? 5 : undefined]);
  if (table !== undefined) head[r.pick(["$table", "JITSU_TABLE_NAME"])] = table;
  return {
    head,
    context: r.next() < 0.8 ? template(r, 1) : undefined,
    properties: r.next() < 0.8 ? template(r, 1) : undefined,
    traits: r.next() < 0.4 ? template(r, 1) : undefined,
    extra: r.next() < 0.5 ? template(r, 1) : undefined,
  };
}

function makeEvent(r: Rng, t: EventTemplate): Record<string, unknown> {
  const e: Record<string, unknown> = {
    ...t.head,
    messageId: `m${r.int(1e9)}`,
    timestamp: "2026-01-01T00:00:00Z",
  };
  if (t.context) {
    e.context = { ...fill(r, t.context), traits: { email: "a@b.c", groupId: r.pick(["g", undefined]) } };
  }
  if (t.properties) e.properties = { ...fill(r, t.properties), traits: r.pick([undefined, { plan: "pro" }]) };
  if (t.traits) e.traits = fill(r, t.traits);
  if (t.extra) Object.assign(e, fill(r, t.extra));
  // Now and then the same template with one thing changed: the compiled guard must notice.
  const change = r.int(12);
  if (change === 0) e.context = r.pick([null, "text", [1]]);
  if (change === 1) e.late = "added";
  if (change === 2 && t.properties && e.properties) {
    (e.properties as Record<string, unknown>).total = r.pick(["x", null, 1]);
  }
  if (change === 3) delete e.messageId;
  if (change === 4) return Object.fromEntries(Object.entries(e).reverse());
  return e;
}

function sameRows(layout: DataLayout, event: Record<string, unknown>, mapper: EventMapper): number {
  const mine = mapper.map(event);
  const theirs = mapEvent(event, layout, 63);
  const what = `${layout}: ${Deno.inspect(event)}`;
  assert.equal(mine.length, theirs.length, what);
  let shaped = 0;
  mine.forEach((m, i) => {
    assert.equal(m.table, theirs[i].table, what);
    assert.deepStrictEqual(Object.keys(m.row), Object.keys(theirs[i].row), what);
    assert.deepStrictEqual(m.row, theirs[i].row, what);
    if (m.shape) {
      shaped++;
      assert.deepStrictEqual(m.shape.columns, Object.keys(m.row), what);
      m.shape.kinds.forEach((kind, j) => {
        const x = m.row[m.shape!.columns[j]];
        const actual = Array.isArray(x)
          ? "a"
          : typeof x === "string"
          ? "s"
          : typeof x === "number"
          ? "n"
          : "b";
        assert.equal(kind, actual, what);
      });
    }
  });
  return shaped;
}

Deno.test("EventMapper.map() gives mapEvent()'s rows for generated events of every layout", () => {
  for (const layout of LAYOUTS) {
    const r = random(layout.length * 7919);
    const mapper = new EventMapper(layout, 63);
    const templates = Array.from({ length: 40 }, () => eventTemplate(r));
    let rows = 0;
    let shaped = 0;
    for (let i = 0; i < 6000; i++) {
      const event = makeEvent(r, r.pick(templates));
      shaped += sameRows(layout, event, mapper);
      rows += mapEvent(event, layout, 63).length;
    }
    // Most events repeat a template unchanged: most rows must have come from compiled mappers.
    assert.ok(shaped > rows * 0.4, `${layout}: ${shaped} of ${rows} rows compiled`);
  }
});

Deno.test("EventMapper.map() maps JSON events with tricky keys as mapEvent() does", () => {
  const texts = [
    '{"type":"track","event":"E","messageId":"m","properties":{"__proto__":{"x":1},"a":2}}',
    '{"type":"track","event":"E","messageId":"m","context_ip":"top","context":{"ip":"nested"}}',
    '{"type":"identify","messageId":"m","traits":{"groupId":"g","email":"e"},"context":{"traits":{"a":1}}}',
    '{"type":"group","groupId":"g","messageId":"m","traits":{"name":"n"},"properties":{"p":1}}',
    '{"type":"track","event":"Order Completed","messageId":"m","properties":{"type":"x","context":"y","userId":1}}',
    '{"type":"page","messageId":"m","properties":{"items":[{"skuId":1}],"emptyObj":{},"deep":{"a":{"b":{}}}}}',
    '{"type":"track","event":"E","messageId":"m","$table":"Custom Table","properties":{"$table":"inner"}}',
    '{"type":"track","messageId":"m","event":"E","properties":{"_unmapped_data":"x"}}',
  ];
  for (const layout of LAYOUTS) {
    const mapper = new EventMapper(layout, 63);
    for (let round = 0; round < 3; round++) {
      for (const text of texts) sameRows(layout, JSON.parse(text), mapper);
    }
  }
});

/** A group of one table's rows, from generated events of a few templates. */
function tableGroup(seed: number): Group {
  const r = random(seed);
  const mapper = new EventMapper("segment-single-table", 63);
  const templates = Array.from({ length: 6 }, () => eventTemplate(r));
  const group: Group = { events: [], rows: [], shapes: [] };
  for (let i = 0; i < 4000; i++) {
    const event = makeEvent(r, r.pick(templates));
    delete event.$table;
    delete event.JITSU_TABLE_NAME;
    for (const { row, shape } of mapper.map(event)) {
      group.events.push(i);
      group.rows.push(row);
      group.shapes.push(shape);
    }
  }
  return group;
}

Deno.test("neededTypes() types rows of compiled shapes as it types them key by key", () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const group = tableGroup(seed);
    assert.ok(group.shapes.some((s) => s !== undefined));
    const generic = neededTypes({ ...group, shapes: group.shapes.map(() => undefined) });
    const shaped = neededTypes(group);
    assert.deepStrictEqual([...shaped], [...generic], `seed ${seed}`);
  }
});

Deno.test("JsonRowsWriter writes the same JSONEachRow values from shapes as value by value", async () => {
  for (const isoTimestamps of [true, false]) {
    const encode = (value: FlatValue, type: ExistingType) => {
      if (type === "text" || type === "json" || type === "foreign") {
        return typeof value === "object" ? JSON.stringify(value) : String(value);
      }
      if (type === "timestamp") return isoTimestamps ? String(value) : String(value).slice(0, 19);
      if (type === "boolean") return value ? 1 : 0;
      return value as number;
    };
    for (const seed of [11, 12, 13]) {
      const group = tableGroup(seed);
      const needed = neededTypes(group);
      const columns = [...needed.keys()];
      // Every column as the batch asks, then again with some widened to text (an older table).
      for (const widen of [false, true]) {
        const types: ExistingType[] = columns.map((c, i) => (widen && i % 3 === 0 ? "text" : needed.get(c)!));
        const writer = new JsonRowsWriter(encode, {
          isoTimestamps,
          wholeSeconds: (v) => v.slice(0, 19),
          rowsPerInsert: 2100,
        });
        const shapedOut = writer.write(columns, types, group.rows, group.shapes);
        const genericOut = writer.write(columns, types, group.rows, group.rows.map(() => undefined));
        assert.equal(shapedOut.parts, Math.ceil(group.rows.length / 2100));
        assert.ok(shapedOut.parts > 1);
        assert.equal(shapedOut.count, group.rows.length);
        // The shaped rows as sent (a large part streams), the generic ones encoded whole.
        const sent: Uint8Array[] = [];
        for (let part = 0; part < shapedOut.parts; part++) {
          const data = shapedOut.data(part);
          if (data instanceof Uint8Array) sent.push(data);
          else sent.push(new Uint8Array(await new Response(data).arrayBuffer()));
        }
        const whole = Array.from({ length: genericOut.parts }, (_, part) => genericOut.body(part));
        const lines = (bodies: Uint8Array[]) =>
          bodies.flatMap((b) => new TextDecoder().decode(b).split("\n")).map((l) => JSON.parse(l));
        assert.deepStrictEqual(lines(sent), lines(whole));
        assert.equal(shapedOut.bytes, sent.reduce((n, b) => n + b.length, 0));
      }
    }
  }
});

Deno.test("EventMapper.map() keeps every row it maps the same however many shapes it meets", () => {
  const r = random(99);
  const mapper = new EventMapper("segment-single-table", 63);
  // Many shapes under one type and event name: past the per-key limit the generic path takes over.
  for (let i = 0; i < 400; i++) {
    const event = { type: "track", event: "E", messageId: `m${i}`, properties: { [`p${i % 60}`]: r.int(9) } };
    sameRows("segment-single-table", event, mapper);
  }
});
