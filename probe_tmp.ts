import { memoryLogger } from "./src/log.ts";
import { memoryFunctionStore } from "./src/sandbox/function_store.ts";
import { Sandbox } from "./src/sandbox/sandbox.ts";
const log = memoryLogger();
const s = new Sandbox({ timeoutMs: 1000, memoryMb: 64, allowPrivateNetwork: false, log, warehouses: {
  async query(ws, id, sql, params) { return [{ next: 42, ws, id, sql, params }]; }, async close() {} } });
const ctx = { props: {}, headers: {}, source: { id: "s", type: "s2s" as const }, destination: { id: "d", type: "x" }, connection: { id: "c" }, workspace: { id: "ws1" }, receivedAt: "", retries: 0 };
const out = await s.runChain({ workspaceId: "ws1", functions: [{ id: "f", code: `export default async function (e, { getWarehouse }) { return { rows: await getWarehouse("d1").query("select 1", [1]) }; }` }], event: { properties: { n: 1 } }, ctx, store: memoryFunctionStore() });
console.log(JSON.stringify(out), log.lines.join("\n"));
await s.close();
