/**
 * `deno task bench functions [events]`: events/s through the Functions sandbox, one event per call
 * (`runChain` in a loop with 16 in flight, as the pipeline used to call it) against batched calls
 * (`runChains` on the same events), for a trivial function and a chain of two.
 */
import { memoryLogger } from "../src/log.ts";
import { memoryFunctionStore } from "../src/sandbox/function_store.ts";
import type { EventContextData } from "../src/sandbox/protocol.ts";
import { type ChainRun, Sandbox } from "../src/sandbox/sandbox.ts";

const TAG = `export default function (event) { return { ...event, tagged: "yes" }; }`;
const ENRICH = `export default function (event, ctx) {
  event.properties = { ...event.properties, env: ctx.props.region ?? "none", n: Object.keys(event).length };
}`;

function ctxData(): EventContextData {
  return {
    props: { region: "eu" },
    headers: { "user-agent": "Mozilla/5.0 bench" },
    source: { id: "src", type: "s2s" },
    destination: { id: "dst", type: "webhook" },
    connection: { id: "con" },
    workspace: { id: "ws" },
    receivedAt: new Date().toISOString(),
    retries: 0,
  };
}

function runsOf(n: number, functions: { id: string; code: string }[]): ChainRun[] {
  const store = memoryFunctionStore();
  const ctx = ctxData();
  return Array.from({ length: n }, (_, i) => ({
    workspaceId: "ws",
    functions,
    event: {
      type: "track",
      event: "Clicked",
      messageId: `m${i}`,
      properties: { i, path: "/pricing", title: "Pricing" },
      context: {
        ip: "1.2.3.4",
        userAgent: "Mozilla/5.0 bench",
        page: { url: "https://example.com/pricing" },
      },
    },
    ctx,
    store,
  }));
}

/** CPU time (user + system) of the processes, ms, from /proc (Linux). */
function cpuMs(pids: (number | "self")[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(f[11]) + Number(f[12]); // utime, stime
    } catch {
      // not Linux
    }
  }
  return ticks * 10; // USER_HZ = 100
}

interface Figure {
  perSecond: number;
  cpuMsPer1000: number;
}

async function measure(s: Sandbox, n: number, body: () => Promise<void>): Promise<Figure> {
  const pids: (number | "self")[] = ["self", ...s.runnerPids];
  const cpu0 = cpuMs(pids);
  const started = performance.now();
  await body();
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: n / seconds, cpuMsPer1000: (cpuMs(pids) - cpu0) / (n / 1000) };
}

async function oneAtATime(s: Sandbox, runs: ChainRun[]): Promise<Figure> {
  return await measure(s, runs.length, () => oneAtATimeRun(s, runs));
}

async function oneAtATimeRun(s: Sandbox, runs: ChainRun[]): Promise<void> {
  let next = 0;
  async function lane() {
    while (next < runs.length) await s.runChain(runs[next++]);
  }
  await Promise.all(Array.from({ length: 16 }, lane));
}

async function batched(s: Sandbox, runs: ChainRun[]): Promise<Figure> {
  return await measure(s, runs.length, () => batchedRun(s, runs));
}

async function batchedRun(s: Sandbox, runs: ChainRun[]): Promise<void> {
  // As the pipeline calls it: one claimed batch of 1,000 events at a time.
  for (let k = 0; k < runs.length; k += 1000) {
    const outcomes = await s.runChains(runs.slice(k, k + 1000));
    if (outcomes.some((o) => o.error)) {
      throw new Error(`a run failed: ${JSON.stringify(outcomes.find((o) => o.error))}`);
    }
  }
}

async function main(args: string[]) {
  const n = Number(args[0] ?? 20_000);
  const s = new Sandbox({ timeoutMs: 5000, memoryMb: 256, allowPrivateNetwork: false, log: memoryLogger() });
  try {
    const cases = [
      { name: "one function", functions: [{ id: "udf.tag", code: TAG }] },
      { name: "chain of two", functions: [{ id: "udf.tag", code: TAG }, { id: "udf.enrich", code: ENRICH }] },
    ];
    await batched(s, runsOf(2000, cases[1].functions)); // start the runner, load the modules
    console.log(
      `Functions sandbox, ${n} events per case: events/s (server + runner CPU ms per 1,000 events)`,
    );
    console.log("| case | one at a time (16 in flight) | batched (runChains, 1,000 a call) | ratio |");
    console.log("|---|---|---|---|");
    const show = (f: Figure) => `${Math.round(f.perSecond)} (${Math.round(f.cpuMsPer1000)} ms)`;
    for (const c of cases) {
      const single = await oneAtATime(s, runsOf(Math.min(n, 10_000), c.functions));
      const batch = await batched(s, runsOf(n, c.functions));
      const ratio = (batch.perSecond / single.perSecond).toFixed(1);
      console.log(`| ${c.name} | ${show(single)} | ${show(batch)} | ${ratio}x |`);
    }
  } finally {
    await s.close();
  }
}

if (import.meta.main) await main(Deno.args);
