/**
 * A microbenchmark of the function pass of one pipeline chunk: `Sandbox.runChains` on 1,000 of the pipeline
 * bench's events with the ctx run_functions.ts builds for them, repeated. Prints the CPU of this process
 * (main thread, the rest) and of the runner process (its main thread, its Worker) per event.
 * `deno run -A bench/_fn_chunk.ts [rounds] [events]`.
 */
import { memoryLogger } from "../src/log.ts";
import { memoryFunctionStore } from "../src/sandbox/function_store.ts";
import { type ChainRun, Sandbox } from "../src/sandbox/sandbox.ts";
import { statCpuUs } from "./_cpu_split.ts";
import { EVENT } from "./_pipeline_world.ts";

const TAG = `export default function (event) { return { ...event, tagged: "yes" }; }`;
const rounds = Number(Deno.args[0] ?? 20);
const n = Number(Deno.args[1] ?? 1000);

/** As src/pipeline/run_functions.ts builds them: one request's 100 events share their receivedAt. */
function runs(k: number): ChainRun[] {
  const store = memoryFunctionStore();
  const options = { mode: "batch", batchSize: 1000, frequency: 1 };
  const functions = [{ id: "udf.f1", code: TAG }];
  const source = { id: "stream-1", type: "s2s" as const };
  const destination = { id: "dest-1", type: "postgres", updatedAt: new Date().toISOString() };
  const connection = { id: "conn-1", mode: "batch", options };
  const workspace = { id: "ws" };
  return Array.from({ length: n }, (_, i) => {
    const eventJson = EVENT.replaceAll("#N#", `${k}-${i}`);
    return {
      workspaceId: "ws",
      functions,
      event: JSON.parse(eventJson),
      eventJson,
      ctx: {
        props: {},
        headers: { "content-type": "application/json", authorization: "*****", "user-agent": "Deno/2" },
        source,
        destination,
        connection,
        workspace,
        receivedAt: new Date(1_800_000_000_000 + Math.floor(i / 100)).toISOString(),
        retries: 0,
      },
      store,
    };
  });
}

function threads(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of Deno.readDirSync(`/proc/${pid}/task`)) {
    const stat = Deno.readTextFileSync(`/proc/${pid}/task/${e.name}/stat`);
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    out.set(`${name}#${e.name}`, statCpuUs(`/proc/${pid}/task/${e.name}/stat`));
  }
  return out;
}

const s = new Sandbox({ timeoutMs: 5000, memoryMb: 256, allowPrivateNetwork: false, log: memoryLogger() });
for (let w = 0; w < 3; w++) await s.runChains(runs(w));
const pid = s.runnerPids[0];
const prepared = Array.from({ length: rounds }, (_, k) => runs(100 + k));
const self0 = statCpuUs(`/proc/${Deno.pid}/stat`);
const main0 = statCpuUs(`/proc/${Deno.pid}/task/${Deno.pid}/stat`);
const r0 = threads(pid);
const t0 = performance.now();
for (const chunk of prepared) {
  const out = await s.runChains(chunk, Number(Deno.env.get("LANES") ?? 16));
  if (out.some((o) => o.error || o.events.length !== 1)) throw new Error(JSON.stringify(out[0]));
}
const ms = performance.now() - t0;
const total = rounds * n;
const per = (us: number) => (us / total).toFixed(1);
const main = statCpuUs(`/proc/${Deno.pid}/task/${Deno.pid}/stat`) - main0;
const self = statCpuUs(`/proc/${Deno.pid}/stat`) - self0;
const r1 = threads(pid);
let runnerAll = 0;
const parts: string[] = [];
for (const [k, v] of r1) {
  const d = v - (r0.get(k) ?? 0);
  runnerAll += d;
  if (d / total >= 0.5) parts.push(`${k.split("#")[0]} ${per(d)}`);
}
console.log(
  `${total} events in ${ms.toFixed(0)} ms (${Math.round(total / ms * 1000)}/s); µs/event: this process ${
    per(self)
  } (main ${per(main)}), runner ${per(runnerAll)} (${parts.join(", ")})`,
);
await s.close();
