/**
 * `deno task bench webhook [requests] [rounds]`: the webhook driver alone against a receiver in another
 * process that answers at once (bench/_plain_receiver.ts), next to plain `fetch()` with 64 requests in
 * flight and the bare HTTP/1.1 client of src/net/http1_client.ts with 64 in flight, in alternating rounds.
 * The driver gets the pipeline's calls: 200 events a call, two calls at once (two chunks of a stream).
 * Prints requests/s and the CPU per request of this process and of the receiver (read from `/proc`), which
 * move far less than the rates on a shared machine. Figures only, never asserted.
 */
import { cpuUsage } from "node:process";
import { webhookDriver } from "../src/destinations/webhook.ts";
import { createLogger } from "../src/log.ts";
import { Http1Client } from "../src/net/http1_client.ts";
import { statCpuUs } from "./_cpu_split.ts";
import { EVENT } from "./_pipeline_world.ts";

const N = Number(Deno.args[0] ?? 20_000);
const ROUNDS = Number(Deno.args[1] ?? 3);
const CALL = 200;

const child = new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", new URL("./_plain_receiver.ts", import.meta.url).pathname],
  stdin: "piped",
  stdout: "piped",
}).spawn();
const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
const port = Number((await lines.read()).value!.trim());
const url = `http://127.0.0.1:${port}/hook`;
const events = Array.from({ length: CALL }, (_, i) => ({
  ...JSON.parse(EVENT.replaceAll("#N#", String(i))),
  receivedAt: new Date().toISOString(),
}));
const body = JSON.stringify(events[0]);
const log = createLogger({ level: "error" });

async function viaFetch(n: number) {
  let started = 0;
  async function lane() {
    while (started++ < n) {
      const r = await fetch(url, { method: "POST", body, headers: { "content-type": "application/json" } });
      await r.arrayBuffer();
    }
  }
  await Promise.all(Array.from({ length: 64 }, lane));
}

async function viaClient(n: number) {
  const client = new Http1Client();
  const bytes = new TextEncoder().encode(body);
  const u = new URL(url);
  let started = 0;
  async function lane() {
    while (started++ < n) {
      await client.request({
        method: "POST",
        url: u,
        addresses: ["127.0.0.1"],
        headers: [["content-type", "application/json"]],
        body: bytes,
        timeoutMs: 10_000,
        maxBodyBytes: 4096,
      });
    }
  }
  await Promise.all(Array.from({ length: 64 }, lane));
  client.close();
}

async function viaDriver(n: number) {
  await using driver = webhookDriver();
  let started = 0;
  async function caller() {
    while (started < n) {
      started += CALL;
      const results = await driver.write({
        events,
        destination: { id: "d", type: "webhook", workspaceId: "w", credentials: { url } },
        connection: { id: "c", streamId: "s", mode: "stream", options: {} },
        log,
        signal: new AbortController().signal,
      });
      const failed = results.find((r) => r.status !== "SUCCESS");
      if (failed) throw new Error(failed.error);
    }
  }
  await Promise.all([caller(), caller()]);
}

console.log(`== webhook requests to a receiver in another process answering at once, ${N} a round ==`);
for (let round = 1; round <= ROUNDS; round++) {
  for (
    const [name, run] of [
      ["fetch(), 64 in flight", viaFetch],
      ["HTTP/1.1 client, 64 in flight", viaClient],
      ["webhook driver, 2 calls of 200", viaDriver],
    ] as const
  ) {
    const c0 = cpuUsage();
    const r0 = statCpuUs(`/proc/${child.pid}/stat`);
    const t0 = performance.now();
    await run(N);
    const sec = (performance.now() - t0) / 1000;
    const c = cpuUsage(c0);
    const rx = statCpuUs(`/proc/${child.pid}/stat`) - r0;
    const load = Deno.readTextFileSync("/proc/loadavg").split(" ")[0];
    console.log(
      `round ${round} ${name.padEnd(32)} ${Math.round(N / sec).toLocaleString("en-US").padStart(7)} req/s  ` +
        `${((c.user + c.system) / N).toFixed(0).padStart(4)} µs CPU/request here, ${
          (rx / N).toFixed(0).padStart(3)
        } in the receiver  (load average ${load})`,
    );
  }
}
child.stdin.close();
await child.status;
Deno.exit(0);
