/**
 * CPU fairness: a workspace whose function spins until its time limit is penalised (one batch in flight,
 * its runner at nice 19) while other workspaces' chains go on; the penalty ends after a clean period.
 */
import assert from "node:assert/strict";
import { fakeClock } from "../../src/clock.ts";
import { memoryLogger } from "../../src/log.ts";
import { type BatchEvent, CpuFairness } from "../../src/sandbox/fairness.ts";
import { memoryFunctionStore } from "../../src/sandbox/function_store.ts";
import type { EventContextData } from "../../src/sandbox/protocol.ts";
import { niceOf, PENALTY_NICE, RunnerProcess } from "../../src/sandbox/runner_process.ts";
import { type ChainRun, Sandbox } from "../../src/sandbox/sandbox.ts";

const LOOP = `export default function (e) { while (true) {} }`;
const OK = `export default function (e) { return { ...e, ok: true }; }`;

function runs(code: string, workspaceId: string, n: number): ChainRun[] {
  const store = memoryFunctionStore();
  const ctx: EventContextData = {
    props: {},
    headers: {},
    source: { id: "src1", type: "s2s" },
    destination: { id: "dst1", type: "webhook" },
    connection: { id: `con-${workspaceId}` },
    workspace: { id: workspaceId },
    receivedAt: "2026-01-01T00:00:00.000Z",
    retries: 0,
  };
  return Array.from({ length: n }, (_, i) => ({
    workspaceId,
    functions: [{ id: `udf.${workspaceId}`, code }],
    event: { n: i },
    ctx,
    store,
  }));
}

/** Nice values of every thread of a process. */
async function threadNices(pid: number): Promise<number[]> {
  const out: number[] = [];
  for await (const t of Deno.readDir(`/proc/${pid}/task`)) out.push(await niceOf(t.name, pid));
  return out;
}

async function until(what: string, ok: () => Promise<boolean> | boolean) {
  const deadline = Date.now() + 10_000;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Peak batches in flight per workspace, and B's batches in flight when each of A's started. */
function recorder() {
  const peak = new Map<string, number>();
  const now = new Map<string, number>();
  const bWhenAStarted: number[] = [];
  let bStarted = () => {};
  return {
    peak,
    bWhenAStarted,
    /** Resolves when B's next batch starts. */
    bStarts: () => new Promise<void>((r) => bStarted = r),
    onBatch(e: BatchEvent) {
      if (e.workspaceId === "wsB" && e.phase === "start") bStarted();
      now.set(e.workspaceId, e.inFlight);
      if (e.phase === "start") {
        peak.set(e.workspaceId, Math.max(peak.get(e.workspaceId) ?? 0, e.inFlight));
        if (e.workspaceId === "wsA") bWhenAStarted.push(now.get("wsB") ?? 0);
      }
    },
  };
}

Deno.test("CpuFairness admits an unpenalised workspace's batches at once, any number", async () => {
  const f = new CpuFairness({ slots: 1 });
  const ends = await Promise.all(Array.from({ length: 16 }, () => f.admit("ws")));
  assert.equal(f.inFlight("ws"), 16);
  for (const end of ends) end();
  assert.equal(f.inFlight("ws"), 0);
});

Deno.test("CpuFairness runs one batch of a penalised workspace at a time, round robin over a slot", async () => {
  const f = new CpuFairness({ slots: 1 });
  f.stuck("b");
  f.stuck("c");
  const order: string[] = [];
  const admitted = ["b", "b", "c", "b", "c"].map((ws) =>
    f.admit(ws).then((end) => {
      order.push(ws);
      return end;
    })
  );
  const first = await admitted[0];
  await Promise.resolve();
  assert.deepEqual(order, ["b"], "one slot: the others wait");
  // An unpenalised workspace is not held back by the penalised ones.
  const endA = await f.admit("a");
  assert.equal(f.inFlight("a"), 1);
  endA();
  first();
  const second = await admitted[2];
  assert.deepEqual(order, ["b", "c"], "the next in line of another workspace goes first");
  second();
  const third = await admitted[1];
  third();
  (await admitted[4])();
  (await admitted[3])();
  assert.deepEqual(order, ["b", "c", "b", "c", "b"]);
});

Deno.test("CpuFairness: a penalised batch waits for its workspace's batches admitted before the penalty", async () => {
  const f = new CpuFairness({ slots: 4 });
  const before = await f.admit("b");
  f.stuck("b");
  let started = false;
  const next = f.admit("b").then((end) => {
    started = true;
    return end;
  });
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(started, false);
  before();
  (await next)();
  assert.equal(started, true);
});

Deno.test("CpuFairness lifts a penalty after the clean period, and a new stuck call extends it", () => {
  const clock = fakeClock();
  const f = new CpuFairness({ penaltyMs: 60_000, clock });
  assert.equal(f.penalised("b"), false);
  f.stuck("b");
  clock.advance(59_000);
  assert.equal(f.penalised("b"), true);
  f.stuck("b");
  clock.advance(59_000);
  assert.equal(f.penalised("b"), true, "the period restarts at the last stuck call");
  clock.advance(1_000);
  assert.equal(f.penalised("b"), false);
});

Deno.test("RunnerProcess started niced runs every thread at the penalty's nice value", async () => {
  const r = new RunnerProcess({
    memoryMb: 64,
    rssLimitMb: 400,
    log: memoryLogger(),
    label: "t",
    niced: true,
  });
  try {
    const out = await r.runBatch({
      functions: [{ id: "f", hash: "h1", code: OK }],
      items: [{
        event: { n: 1 },
        ctx: runs(OK, "ws", 1)[0].ctx,
      }],
      bridge: () => Promise.resolve({ value: undefined }),
      timeoutMs: 2000,
    });
    assert.equal(out[0].error, undefined);
    assert.equal(r.niced, true);
    const nices = await threadNices(r.pid);
    assert.ok(nices.length > 1, "a runner has several threads (the worker among them)");
    assert.deepEqual(nices.filter((n) => n !== PENALTY_NICE), []);
  } finally {
    await r.close();
  }
});

Deno.test("without a penalty a workspace's batches run side by side", async () => {
  const rec = recorder();
  const s = new Sandbox({
    timeoutMs: 2000,
    memoryMb: 64,
    allowPrivateNetwork: false,
    log: memoryLogger(),
    onBatch: rec.onBatch,
  });
  try {
    const out = await s.runChains(runs(OK, "wsB", 3), 16);
    assert.deepEqual(out.map((o) => o.events[0]), [0, 1, 2].map((n) => ({ n, ok: true })));
    assert.equal(rec.peak.get("wsB"), 3, "three events, sixteen lanes: three batches at once");
    assert.equal(s.penalised("wsB"), false);
  } finally {
    await s.close();
  }
});

Deno.test("a workspace whose function loops is penalised: one batch at a time, niced, and others start meanwhile", async () => {
  const rec = recorder();
  const clock = fakeClock();
  const log = memoryLogger();
  const s = new Sandbox({
    timeoutMs: 300,
    memoryMb: 64,
    allowPrivateNetwork: false,
    log,
    clock,
    penaltyMs: 60_000,
    onBatch: rec.onBatch,
  });
  try {
    const [first] = await s.runChains(runs(LOOP, "wsB", 1));
    assert.equal(first.error?.name, "TimeoutError");
    assert.equal(s.penalised("wsB"), true);
    assert.equal(s.penalised("wsA"), false);
    assert.ok(log.lines.some((l) => l.includes("workspace penalised")));
    const [bPid] = s.runnerPids;
    await until(
      "B's runner to be niced",
      async () => (await threadNices(bPid)).every((n) => n === PENALTY_NICE),
    );

    // B's looping chains and A's chains together: B never has more than one batch in flight, and A's
    // batches start while B's is still looping.
    const bStarted = rec.bStarts();
    const bRun = s.runChains(runs(LOOP, "wsB", 3), 16);
    await bStarted;
    const aRun = s.runChains(runs(OK, "wsA", 20), 16);
    const [bOut, aOut] = await Promise.all([bRun, aRun]);
    assert.equal(rec.peak.get("wsB"), 1, "a penalised workspace has one batch in flight at most");
    assert.ok(rec.peak.get("wsA")! > 1, "the other workspace's batches still run side by side");
    assert.ok(rec.bWhenAStarted.length > 0);
    assert.ok(rec.bWhenAStarted.every((n) => n === 1), "A's batches started while B's was in flight");
    assert.deepEqual(aOut.map((o) => o.error), aOut.map(() => undefined));
    assert.deepEqual(bOut.map((o) => o.error?.name), ["TimeoutError", "TimeoutError", "TimeoutError"]);

    // A minute clean: the penalty ends, and B's next call gets a runner at normal priority.
    clock.advance(60_001);
    assert.equal(s.penalised("wsB"), false);
    const [ok] = await s.runChains(runs(OK, "wsB", 1));
    assert.deepEqual(ok.events, [{ n: 0, ok: true }]);
    const pids = s.runnerPids;
    assert.equal(pids.includes(bPid), false, "the niced runner was replaced");
    // Runners start at this process's own priority (0, or more when the test run itself was started niced).
    const [base] = await threadNices(Deno.pid);
    for (const pid of pids) assert.deepEqual((await threadNices(pid)).filter((n) => n !== base), []);
  } finally {
    await s.close();
  }
});

Deno.test("a call that spins is penalised within about a second, long before its time limit", async () => {
  const s = new Sandbox({ timeoutMs: 30_000, memoryMb: 64, allowPrivateNetwork: false, log: memoryLogger() });
  let ended = false;
  const run = s.runChains(runs(LOOP, "wsB", 1)).then((o) => {
    ended = true;
    return o;
  });
  try {
    await until("B to be penalised", () => s.penalised("wsB"));
    assert.equal(ended, false, "the call is still within its 30 s limit");
    const [pid] = s.runnerPids;
    await until(
      "B's runner to be niced",
      async () => (await threadNices(pid)).every((n) => n === PENALTY_NICE),
    );
  } finally {
    await s.close();
  }
  const [out] = await run;
  assert.equal(out.error?.name, "SandboxError", "closing the sandbox failed the call in flight");
});

Deno.test("closing the sandbox fails a penalised batch still waiting for its turn, and starts no runner", async () => {
  const rec = recorder();
  const s = new Sandbox({
    timeoutMs: 300,
    memoryMb: 64,
    allowPrivateNetwork: false,
    log: memoryLogger(),
    onBatch: rec.onBatch,
  });
  const [first] = await s.runChains(runs(LOOP, "wsB", 1));
  assert.equal(first.error?.name, "TimeoutError");
  assert.equal(s.penalised("wsB"), true);
  const bStarted = rec.bStarts();
  const running = s.runChains(runs(LOOP, "wsB", 1));
  await bStarted;
  const waiting = s.runChains(runs(OK, "wsB", 2));
  await new Promise((r) => setTimeout(r, 0));
  await s.close();
  const [[ran], out] = await Promise.all([running, waiting]);
  assert.equal(ran.error?.name, "SandboxError");
  assert.deepEqual(out.map((o) => o.error?.message), [
    "the sandbox closed before the call ran",
    "the sandbox closed before the call ran",
  ]);
  assert.equal(s.processCount, 0);
  assert.equal(rec.peak.get("wsB"), 1);
});

Deno.test("a batch of many short busy calls that holds its worker for seconds is not penalised", async () => {
  const s = new Sandbox({ timeoutMs: 5000, memoryMb: 64, allowPrivateNetwork: false, log: memoryLogger() });
  try {
    // Each call is busy for 100 ms and the batch runs 20 of them back to back (2 s in all).
    const busy = `export default function (e) {
  const until = Date.now() + 100;
  while (Date.now() < until) {}
  return { ...e, ok: true };
}`;
    const out = await s.runChains(runs(busy, "wsB", 20), 1);
    assert.deepEqual(out.map((o) => o.error), out.map(() => undefined));
    assert.equal(s.penalised("wsB"), false);
  } finally {
    await s.close();
  }
});
