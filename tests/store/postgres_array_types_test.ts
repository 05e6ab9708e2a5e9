/**
 * The store's postgres.js clients take their array types from a table of built-in types instead of asking
 * each new connection's server (src/store/postgres_array_types.ts): arrays must read and write exactly as
 * with postgres.js's own type fetch.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { BUILTIN_ARRAY_TYPES } from "../../src/store/postgres_array_types.ts";
import { openPostgres } from "../../src/store/postgres.ts";
import { freshPostgresDatabase, postgresServerUrl } from "../_helpers/db.ts";

/** `p`, or a rejection after `ms`: a statement that never settles fails the test instead of hanging it. */
async function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let id: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    id = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(id);
  }
}

Deno.test("BUILTIN_ARRAY_TYPES are the server's built-in array types with fixed OIDs, all of them", async () => {
  const sql = postgres(await postgresServerUrl(), { max: 1, onnotice: () => {} });
  try {
    // The query of postgres.js's fetchArrayTypes(), kept to fixed OIDs and non-composite types.
    const rows = await sql.unsafe<{ oid: number; typarray: number }[]>(`
      select b.oid::int as oid, b.typarray::int as typarray
        from pg_catalog.pg_type a
        left join pg_catalog.pg_type b on b.oid = a.typelem
       where a.typcategory = 'A' and b.oid < 10000 and b.typarray < 10000 and b.typtype <> 'c'
       group by b.oid, b.typarray
       order by b.oid`);
    const server = new Map(rows.map((r) => [r.oid, r.typarray]));
    const ours = new Map(BUILTIN_ARRAY_TYPES);
    for (const [oid, typarray] of ours) {
      if (server.has(oid)) assert.equal(server.get(oid), typarray, `array type of ${oid}`);
    }
    const missing = [...server].filter(([oid]) => !ours.has(oid));
    assert.deepEqual(missing, [], "built-in array types of this server that the table lacks");
  } finally {
    await sql.end();
  }
});

Deno.test("an array parameter works as the first statement of a new store connection", async () => {
  const fresh = await freshPostgresDatabase();
  const db = openPostgres(fresh.url, { statementMax: 1 });
  try {
    const rows = await within(
      10_000,
      db.query<{ n: number; b: string[] }>(
        "select array_length($1::text[], 1) as n, $2::bigint[]::text[] as b",
        [["a", "b,c"], ["1", "9007199254740993"]],
      ),
    );
    assert.deepEqual([...rows], [{ n: 2, b: ["1", "9007199254740993"] }]);
  } finally {
    await db.close();
    await fresh.drop();
  }
});

Deno.test("a transaction, with an array parameter, works as the first statement of a new store", async () => {
  const fresh = await freshPostgresDatabase();
  const db = openPostgres(fresh.url, { statementMax: 1 });
  try {
    const n = await within(
      10_000,
      db.transaction(async (tx) => {
        const rows = await tx.query<{ n: number }>("select array_length($1::text[], 1) as n", [["a", "b"]]);
        return rows[0].n;
      }),
    );
    assert.equal(n, 2);
    const [row] = await db.query<{ n: number }>("select cardinality($1::bigint[]) as n", [["1", "2", "3"]]);
    assert.equal(row.n, 3);
  } finally {
    await db.close();
    await fresh.drop();
  }
});

Deno.test("arrays read and write as with postgres.js's own type fetch", async () => {
  const fresh = await freshPostgresDatabase();
  const db = openPostgres(fresh.url, { statementMax: 1 });
  const fetched = postgres(fresh.url, { max: 1, onnotice: () => {} });
  const cases: [string, unknown[]][] = [
    ["select $1::text[] as v", [["a", "b,c", 'd"e', "f\\g", "", "NULL", null, "{x}", " sp ", "ü;é"]]],
    ["select $1::text[] as v", [[]]],
    ["select $1::bigint[] as v", [["1", "-2", "9007199254740993"]]],
    ["select $1::int[] as v", [[1, 2, 3]]],
    ["select $1::int[] as v", [[[1, 2], [3, 4]]]],
    ["select $1::float8[] as v", [[1.5, -0.25]]],
    ["select $1::timestamptz[] as v", [["2026-12-07T20:00:00.123Z"]]],
    ["select array[true, false, null]::bool[] as v", []],
    ["select array['{\"a\":1}'::jsonb, '[2]'::jsonb] as v", []],
    ["select $1::uuid[] as v", [["6d1d4a4e-8d3c-4c36-9d55-0b7a5b1ad6f1"]]],
    ["select array['x', null, 'y,z', 'q\"r']::text[] as v", []],
    ["select '{{1,2},{3,4}}'::int8[] as v", []],
    ["select array[now()::date]::date[] as d, '{}'::int[] as e, '{1.5,NaN}'::numeric[] as n", []],
    ["select '{(1,2),(3,4)}'::box[] as v", []],
  ];
  try {
    for (const [text, params] of cases) {
      const ours = await db.query(text, params);
      const theirs = await fetched.unsafe(text, params as never[], { prepare: params.length > 0 });
      assert.deepEqual([...ours], [...theirs], text);
    }
  } finally {
    await fetched.end();
    await db.close();
    await fresh.drop();
  }
});
