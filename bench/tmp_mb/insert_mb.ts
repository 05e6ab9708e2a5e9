import postgres from "postgres";
import { cpuUsage } from "node:process";
import { EVENT } from "../_pipeline_world.ts";
import { mapEvent } from "../../src/destinations/warehouse/layout.ts";

const N = 20000;
const sql = postgres("postgres://postgres@127.0.0.1:5432/test", { max: 1, onnotice: () => {} });
const schema = `mb_${crypto.randomUUID().replaceAll("-", "").slice(0, 8)}`;
await sql.unsafe(`create schema ${schema}`);
const events = Array.from({ length: N }, (_, i) => ({
  ...JSON.parse(EVENT.replaceAll("#N#", `mb-${i}`)),
  receivedAt: new Date().toISOString(),
  timestamp: new Date().toISOString(),
}));
const rows = events.map((e) => mapEvent(e, "segment-single-table", 63)[0].row);
const columns = Object.keys(rows[0]);
const types = columns.map((c) => {
  const v = rows[0][c];
  if (typeof v === "number") return Number.isInteger(v) ? "bigint" : "double precision";
  if (typeof v === "boolean") return "boolean";
  if (v instanceof Date) return "timestamptz";
  if (typeof v === "object" && v !== null) return "jsonb";
  return "text";
});
console.log(columns.length, "columns", types.join(","));
const q = (c: string) => `"${c}"`;
for (const t of ["a", "b"]) {
  await sql.unsafe(`create table ${schema}.${t} (${columns.map((c, i) => `${q(c)} ${types[i]}`).join(", ")})`);
}
const cellOf = (v: unknown, i: number) => {
  if (v === undefined || v === null) return null;
  if (types[i] === "jsonb") return JSON.stringify(v);
  if (types[i] === "text") return Array.isArray(v) ? JSON.stringify(v) : String(v);
  return v;
};
const cells = rows.map((r) => columns.map((c, i) => cellOf(r[c], i)));
const [{ pid }] = await sql`select pg_backend_pid() as pid`;
const pgCpu = () => {
  const f = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) * 10_000; // µs
};
function tuples(rows: number, cols: number) {
  const out: string[] = [];
  for (let r = 0, n = 0; r < rows; r++) {
    const m: string[] = [];
    for (let c = 0; c < cols; c++) m.push(`$${++n}`);
    out.push(`(${m.join(", ")})`);
  }
  return out.join(", ");
}
const VALUES = `insert into ${schema}.a (${columns.map(q).join(", ")}) values ${tuples(1000, columns.length)}`;
const RS = "\x1e", NUL = "\x1f";
const UNNEST = `insert into ${schema}.b (${columns.map(q).join(", ")}) select * from unnest(${
  columns.map((_, i) => `string_to_array($${i + 1}, E'\\x1e', E'\\x1f')::${types[i]}[]`).join(", ")
})`;
const text = (v: unknown) =>
  v === null ? NUL : v instanceof Date ? v.toISOString() : typeof v === "string" ? v : String(v);
async function runA(chunk: unknown[][]) {
  await sql.unsafe(VALUES, chunk.flat() as never[], { prepare: true });
}
async function runB(chunk: unknown[][]) {
  const params = columns.map((_, i) => chunk.map((r) => text(r[i])).join(RS));
  await sql.unsafe(UNNEST, params, { prepare: true });
}
for (let round = 0; round < 1; round++) {
  for (const [name, fn] of [["values", runA], ["unnest", runB]] as const) {
    const c0 = cpuUsage(), p0 = pgCpu(), t0 = performance.now();
    for (let i = 0; i < N; i += 1000) await fn(cells.slice(i, i + 1000));
    const c1 = cpuUsage(c0), p1 = pgCpu(), t1 = performance.now();
    console.log(
      `${name}: client ${((c1.user + c1.system) / N).toFixed(1)} µs/row, backend ${((p1 - p0) / N).toFixed(1)} µs/row, ${
        Math.round(N / ((t1 - t0) / 1000))
      } rows/s`,
    );
  }
}
const [a] = await sql.unsafe(`select count(*)::int n from ${schema}.a`);
const [b] = await sql.unsafe(`select count(*)::int n from ${schema}.b`);
const diff = await sql.unsafe(`select count(*)::int n from (select * from ${schema}.a except all select * from ${schema}.b) x`);
console.log("rows", a.n, b.n, "differing", diff[0].n);
const ra = await sql.unsafe(`select * from ${schema}.a limit 1`); const rb = await sql.unsafe(`select * from ${schema}.b limit 1`); console.log(JSON.stringify(ra[0])); console.log(JSON.stringify(rb[0]));
await sql.unsafe(`drop schema ${schema} cascade`);
await sql.end();
