import { memoryLogger } from "./src/log.ts";
import { memoryFunctionStore } from "./src/sandbox/function_store.ts";
import { Sandbox } from "./src/sandbox/sandbox.ts";
const ctx = { props: {}, headers: {}, source: { id: "s", type: "s2s" as const }, destination: { id: "d", type: "x" }, connection: { id: "c" }, workspace: { id: "ws1" }, receivedAt: "", retries: 0 };
let bad = 0;
await Promise.all(Array.from({ length: 4 }, async () => {
  for (let i = 0; i < 10; i++) {
    const log = memoryLogger();
    const s = new Sandbox({ timeoutMs: 1000, memoryMb: 64, allowPrivateNetwork: false, log });
    const out = await s.runChain({ workspaceId: "ws1", functions: [{ id: "f", code: `let calls = 0; export default function (e) { calls++; return { calls }; }` }], event: {}, ctx, store: memoryFunctionStore() });
    if (out.error) { bad++; console.log(JSON.stringify(out.error), log.lines.join("\n").slice(-1500)); }
    await s.close();
  }
}));
console.log("bad", bad);
