/**
 * The PostgreSQL warehouse client's column-wise insert (one text parameter a column, cast to the column's
 * type): the values it stores, when it falls back to a multi-row VALUES statement, and upserts.
 */
import assert from "node:assert/strict";
import type { Cell, SqlRunner } from "../../src/destinations/warehouse/client.ts";
import { pgTarget, type Target } from "./_targets.ts";

const COLUMNS: [string, "text" | "bigint" | "double" | "boolean" | "timestamp" | "json"][] = [
  ["message_id", "text"],
  ["n", "bigint"],
  ["d", "double"],
  ["b", "boolean"],
  ["ts", "timestamp"],
  ["j", "json"],
  ["s", "text"],
];
const NAMES = COLUMNS.map(([c]) => c);

/** A runner on the target that records each statement's first words. */
function spy(wh: Target): SqlRunner & { seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    query(text, params) {
      const how = /\) values |from unnest\(/.exec(text)?.[0];
      seen.push(how === undefined ? text.slice(0, 20) : how.startsWith(")") ? "values" : "unnest");
      return wh.client.query(text, params);
    },
  };
}

async function read(wh: Target, table: string) {
  const rows = await wh.client.query(
    `select message_id, n::text, d, b, to_char(ts at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS') as ts,
            j::text, s from ${wh.client.table(table)} order by message_id`,
  );
  return rows.map((r) => NAMES.map((c) => r[c] ?? null));
}

Deno.test("[postgres] rows of our column types go in one text parameter a column, values as a VALUES insert stores them", async () => {
  const wh = await pgTarget();
  try {
    await wh.client.createTable("t", COLUMNS, ["message_id"]);
    // The types a column-wise insert casts to come from the server (the core loads a table after DDL).
    await wh.client.loadColumns("t");
    const rows: Cell[][] = [
      ["m1", 1, 1.5, true, "2026-01-02T03:04:05.678Z", '{"a":[1,"x"]}', "plain"],
      ["m2", null, null, null, null, null, null],
      ["m3", -9007199254740991, 1e21, false, "2026-01-02T03:04:05+02:00", '"str"', ""],
      ["m4", 0, -0.25, true, "2026-12-31T23:59:59.999Z", "null", 'quote " back\\ nl\n é 🙂 a\x1fb {,}'],
    ];
    const tx = spy(wh);
    await wh.client.insert(tx, "t", NAMES, rows, null);
    assert.deepEqual(tx.seen, ["unnest"]);
    // The same rows through a multi-row VALUES statement (a value holding the separator makes the client
    // fall back to it), into a second table, read back alike.
    await wh.client.createTable("v", COLUMNS, ["message_id"]);
    await wh.client.loadColumns("v");
    const withSeparator = [...rows, ["m5", 5, 5, true, null, null, "has \x1e inside"]] as Cell[][];
    await wh.client.insert(tx, "v", NAMES, withSeparator, null);
    assert.deepEqual(tx.seen, ["unnest", "values"]);
    const viaValues = await read(wh, "v");
    assert.deepEqual(await read(wh, "t"), viaValues.slice(0, 4));
    assert.deepEqual(viaValues[3].slice(-1), ['quote " back\\ nl\n é 🙂 a\x1fb {,}']);
    assert.deepEqual(viaValues[4].slice(-1), ["has \x1e inside"]);
    assert.deepEqual(viaValues[1], ["m2", null, null, null, null, null, null], "nulls stay null");
    assert.deepEqual(viaValues[2].slice(-1), [""], "an empty string stays empty");
    // A value that is the null mark itself also goes the VALUES way, as a string.
    await wh.client.insert(tx, "t", NAMES, [["m6", 6, 6, true, null, null, "\x1f"], [
      "m7",
      7,
      7,
      true,
      null,
      null,
      "x",
    ]], null);
    assert.equal(tx.seen.at(-1), "values");
    assert.deepEqual((await read(wh, "t")).find((r) => r[0] === "m6")?.slice(-1), ["\x1f"]);
    // One row: a VALUES statement (its text is what a column-wise insert of an empty string would lose).
    await wh.client.insert(tx, "t", NAMES, [["m8", 8, 8, true, null, null, ""]], null);
    assert.equal(tx.seen.at(-1), "values");
  } finally {
    await wh.drop();
  }
});

Deno.test("[postgres] a column-wise insert upserts on the key; a column of a type we did not make goes the VALUES way", async () => {
  const wh = await pgTarget();
  try {
    await wh.client.createTable("t", COLUMNS, ["message_id"]);
    // The types a column-wise insert casts to come from the server (the core loads a table after DDL).
    await wh.client.loadColumns("t");
    const tx = spy(wh);
    const row = (id: string, s: string): Cell[] => [id, 1, 1, true, null, null, s];
    await wh.client.insert(tx, "t", NAMES, [row("a", "one"), row("b", "one")], ["message_id"]);
    await wh.client.insert(tx, "t", NAMES, [row("b", "two"), row("c", "two")], ["message_id"]);
    assert.deepEqual(tx.seen, ["unnest", "unnest"]);
    assert.deepEqual((await read(wh, "t")).map((r) => [r[0], r[6]]), [["a", "one"], ["b", "two"], [
      "c",
      "two",
    ]]);

    // Someone else's numeric column: found on the next load, written through VALUES (no cast guessed).
    await wh.client.query(`alter table ${wh.client.table("t")} add column price numeric(10, 2)`);
    assert.equal((await wh.client.loadColumns("t"))?.get("price"), "double");
    await wh.client.insert(
      tx,
      "t",
      [...NAMES, "price"],
      [[...row("d", "x"), 1.005], [...row("e", "x"), 2]],
      null,
    );
    assert.equal(tx.seen.at(-1), "values");
    const prices = await wh.client.query(
      `select price::text as p from ${wh.client.table("t")} where price is not null order by 1`,
    );
    assert.deepEqual(prices.map((r) => r.p), ["1.01", "2.00"]);

    // Columns another writer changed since: a widened one fails as a stale schema and inserts nothing (a
    // value cast to the old type would be stored in that type's text form), so the core reloads the table;
    // a dropped one fails as a stale schema, as a VALUES insert would.
    await wh.client.query(`alter table ${wh.client.table("t")} alter column n type double precision`);
    await assert.rejects(
      wh.client.insert(tx, "t", NAMES, [row("f", "x"), row("g", "x")], null),
      (e) => wh.client.isStaleSchema(e),
    );
    assert.equal((await read2(wh)).length, 5, "nothing of f and g");
    await wh.client.loadColumns("t");
    await wh.client.insert(tx, "t", NAMES, [row("f", "x"), row("g", "x")], null);
    assert.equal(tx.seen.at(-1), "unnest");
    await wh.client.query(`alter table ${wh.client.table("t")} drop column s`);
    await assert.rejects(
      wh.client.insert(tx, "t", NAMES, [row("h", "x"), row("i", "x")], null),
      (e) => wh.client.isStaleSchema(e),
    );
    await wh.client.loadColumns("t");
    await wh.client.insert(tx, "t", NAMES.slice(0, -1), [
      row("h", "x").slice(0, -1),
      row("i", "x").slice(0, -1),
    ], null);
    assert.equal(tx.seen.at(-1), "unnest");
    assert.equal((await read2(wh)).length, 9, "a to i");
  } finally {
    await wh.drop();
  }
});

async function read2(wh: Target) {
  return await wh.client.query(`select message_id from ${wh.client.table("t")}`);
}

Deno.test("[postgres] a column another writer widened to text since the load: nothing cast to the old type, the reloaded insert stores the values as sent", async () => {
  const wh = await pgTarget();
  try {
    const cols: typeof COLUMNS = [["message_id", "text"], ["ts", "timestamp"], ["j", "json"], [
      "d",
      "double",
    ]];
    const names = cols.map(([c]) => c);
    await wh.client.createTable("t", cols, ["message_id"]);
    await wh.client.loadColumns("t");
    // A second instance widens the columns (as the core does when a value no longer fits).
    await wh.client.query(
      `alter table ${
        wh.client.table("t")
      } alter column ts type text, alter column j type text, alter column d type text`,
    );
    const rows: Cell[][] = [
      ["a", "2026-01-02T03:04:05.678Z", '{"b":1,"a":2}', 0.1],
      ["b", "2026-01-02T03:04:05Z", '["x","y"]', 1e21],
    ];
    const tx = spy(wh);
    await assert.rejects(wh.client.insert(tx, "t", names, rows, null), (e) => wh.client.isStaleSchema(e));
    assert.equal((await read2(wh)).length, 0);
    await wh.client.loadColumns("t");
    await wh.client.insert(tx, "t", names, rows, null);
    assert.deepEqual(tx.seen, ["unnest", "unnest"]);
    const got = await wh.client.query(`select message_id, ts, j, d from ${wh.client.table("t")} order by 1`);
    assert.deepEqual(got.map((r) => [r.message_id, r.ts, r.j, r.d]), [
      ["a", "2026-01-02T03:04:05.678Z", '{"b":1,"a":2}', "0.1"],
      ["b", "2026-01-02T03:04:05Z", '["x","y"]', "1e+21"],
    ]);
  } finally {
    await wh.drop();
  }
});
