/**
 * Batched runner calls: `runChains` sends one chain and many events in one message; outcomes come back
 * in order, one per event, and a throw, a timeout or a crash on one event never takes the others' down.
 */
import assert from "node:assert/strict";
import { memoryLogger } from "../../src/log.ts";
import { memoryFunctionStore } from "../../src/sandbox/function_store.ts";
import type { EventContextData } from "../../src/sandbox/protocol.ts";
import { batchSize, quickBatch } from "../../src/sandbox/batch_size.ts";
import { type ChainRun, Sandbox } from "../../src/sandbox/sandbox.ts";

function ctxData(workspaceId = "ws1"): EventContextData {
  return {
    props: {},
    headers: {},
    source: { id: "src1", type: "s2s" },
    destination: { id: "dst1", type: "webhook" },
    connection: { id: "con1" },
    workspace: { id: workspaceId },
    receivedAt: "2026-01-01T00:00:00.000Z",
    retries: 0,
  };
}

function newSandbox(opts: Partial<ConstructorParameters<typeof Sandbox>[0]> = {}) {
  return new Sandbox({
    timeoutMs: 1000,
    memoryMb: 64,
    allowPrivateNetwork: false,
    log: memoryLogger(),
    ...opts,
  });
}

function runs(code: string, events: Record<string, unknown>[], workspaceId = "ws1"): ChainRun[] {
  const store = memoryFunctionStore();
  return events.map((event) => ({
    workspaceId,
    functions: [{ id: "udf.f", code }],
    event,
    ctx: ctxData(workspaceId),
    store,
  }));
}

Deno.test("runChains() returns one outcome per event, in order, and a throw fails only its event", async () => {
  const s = newSandbox();
  try {
    const code = `export default function (e) {
  if (e.n % 7 === 3) throw new Error("bad " + e.n);
  return { ...e, doubled: e.n * 2 };
}`;
    const events = Array.from({ length: 300 }, (_, n) => ({ n }));
    const out = await s.runChains(runs(code, events), 4);
    assert.equal(out.length, 300);
    for (let n = 0; n < 300; n++) {
      if (n % 7 === 3) {
        assert.equal(out[n].error?.message, `bad ${n}`);
        assert.deepEqual(out[n].events, [{ n }], "a plain throw keeps its own event unchanged");
      } else {
        assert.equal(out[n].error, undefined, `event ${n}`);
        assert.deepEqual(out[n].events, [{ n, doubled: n * 2 }]);
      }
    }
  } finally {
    await s.close();
  }
});

Deno.test("runChains() keeps runs of different workspaces and chains apart, in the caller's order", async () => {
  const s = newSandbox();
  try {
    const a = runs(`export default (e) => ({ ...e, by: "a" })`, [{ n: 0 }, { n: 2 }], "wsA");
    const b = runs(`export default (e) => ({ ...e, by: "b" })`, [{ n: 1 }, { n: 3 }], "wsB");
    const none: ChainRun = { ...a[0], functions: [], event: { n: 4 } };
    const out = await s.runChains([a[0], b[0], a[1], b[1], none]);
    assert.deepEqual(out.map((o) => o.events[0]), [
      { n: 0, by: "a" },
      { n: 1, by: "b" },
      { n: 2, by: "a" },
      { n: 3, by: "b" },
      { n: 4 },
    ]);
    assert.equal(s.processCount, 2);
  } finally {
    await s.close();
  }
});

Deno.test("runChains(): an event stuck in a loop times out alone; the batch's other events keep or get their outcomes", async () => {
  const s = newSandbox({ timeoutMs: 300 });
  try {
    const code = `export default function (e) {
  if (e.n === 5) while (true) {}
  return { ...e, ok: true };
}`;
    const events = Array.from({ length: 12 }, (_, n) => ({ n }));
    const out = await s.runChains(runs(code, events), 1); // one batch of 12
    assert.equal(out[5].error?.name, "TimeoutError");
    assert.ok(out[5].retry?.drop, "the stuck event is dropped now and retried later");
    for (const n of [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11]) {
      assert.deepEqual(out[n].events, [{ n, ok: true }], `event ${n}`);
    }
    const next = await s.runChains(runs(`export default (e) => ({ ...e, after: true })`, [{ n: 1 }]));
    assert.equal(next[0].events[0].after, true, "a fresh worker serves the next call");
  } finally {
    await s.close();
  }
});

Deno.test("runChains(): a slow (waiting) event times out alone and the batch goes on in the same worker", async () => {
  const s = newSandbox({ timeoutMs: 200 });
  try {
    const code = `let calls = 0;
export default async function (e) {
  calls++;
  if (e.n === 1) await new Promise((r) => setTimeout(r, 3000));
  return { ...e, calls };
}`;
    const out = await s.runChains(runs(code, [{ n: 0 }, { n: 1 }, { n: 2 }]), 1);
    assert.equal(out[0].events[0].calls, 1);
    assert.equal(out[1].error?.name, "TimeoutError");
    assert.match(out[1].error!.message, /udf\.f did not finish within 200 ms/);
    assert.equal(out[2].events[0].calls, 3, "same module instance: the worker was kept");
  } finally {
    await s.close();
  }
});

Deno.test("runChains(): a runner crash fails only the events not finished; a new runner serves the next call", async () => {
  const s = newSandbox({ memoryMb: 64 });
  try {
    const code = `export default async function (e) {
  if (e.n === 6) { const hog = []; while (true) hog.push(new Array(100000).fill(Math.random())); }
  await new Promise((r) => setTimeout(r, 5));
  return { ...e, ok: true };
}`;
    const events = Array.from({ length: 10 }, (_, n) => ({ n }));
    const out = await s.runChains(runs(code, events), 1);
    for (let n = 0; n < 6; n++) {
      assert.deepEqual(out[n].events, [{ n, ok: true }], `finished event ${n} kept`);
    }
    for (let n = 6; n < 10; n++) {
      assert.equal(out[n].error?.name, "SandboxError", `event ${n}`);
      assert.match(out[n].error!.message, /out of memory/);
      assert.ok(out[n].retry, "not lost: retried later");
    }
    const next = await s.runChains(runs(`export default (e) => ({ ...e, after: true })`, [{ n: 1 }]));
    assert.equal(next[0].events[0].after, true);
  } finally {
    await s.close();
  }
});

Deno.test("runChains() bridges each event's ctx.store calls to that event's own store", async () => {
  const s = newSandbox();
  try {
    const code = `export default async function (e, ctx) {
  await ctx.store.set("seen", e.n);
  return { ...e, back: await ctx.store.get("seen") };
}`;
    const stores = [memoryFunctionStore(), memoryFunctionStore(), memoryFunctionStore()];
    const batch: ChainRun[] = stores.map((store, n) => ({ ...runs(code, [{ n }])[0], store }));
    const out = await s.runChains(batch, 1);
    assert.deepEqual(out.map((o) => o.events[0].back), [0, 1, 2]);
    assert.deepEqual(stores.map((st) => st.dump()), [{ seen: 0 }, { seen: 1 }, { seen: 2 }]);
  } finally {
    await s.close();
  }
});

Deno.test("runChains(): a chain whose calls were all quick goes in as few batches as allowed; one that waits stays split", async () => {
  let starts = 0;
  const s = newSandbox({ onBatch: (e) => e.phase === "start" && starts++ });
  try {
    const quickCode = `export default function (e) { return { ...e, q: true }; }`;
    const events = Array.from({ length: 600 }, (_, n) => ({ n }));
    // Not known yet: split into the call's 16 lanes.
    let out = await s.runChains(runs(quickCode, events));
    assert.equal(starts, 16);
    assert.ok(out.every((o, n) => o.error === undefined && (o.events[0] as { n: number }).n === n));
    // Known quick: batches of at most 500.
    starts = 0;
    out = await s.runChains(runs(quickCode, events));
    assert.equal(starts, 2);
    assert.ok(out.every((o, n) => o.error === undefined && (o.events[0] as { n: number }).n === n));

    // Calls that wait keep the split, so they overlap: 64 calls of 40 ms each in 16 lanes take ~160 ms, not 2.5 s.
    const waitCode =
      `export default async function (e) { await new Promise((r) => setTimeout(r, 40)); return e; }`;
    const few = events.slice(0, 64);
    await s.runChains(runs(waitCode, few));
    starts = 0;
    const t0 = performance.now();
    out = await s.runChains(runs(waitCode, few));
    assert.equal(starts, 16);
    assert.ok(performance.now() - t0 < 1500, `took ${performance.now() - t0} ms`);
    assert.ok(out.every((o) => o.error === undefined));

    // A quick chain that starts to wait is split again from its next call on; one call held up a few ms
    // (as a loaded machine does to trivial calls now and then) is not waiting.
    const sometimes = `export default async function (e) {
  if (e.wait) await new Promise((r) => setTimeout(r, e.wait));
  return e;
}`;
    const hundred = events.slice(0, 100);
    await s.runChains(runs(sometimes, hundred)); // first call: split, all quick
    starts = 0;
    await s.runChains(runs(sometimes, [{ n: 0, wait: 5 }, ...hundred.slice(1)])); // one batch; 5 ms in all
    assert.equal(starts, 1);
    starts = 0;
    await s.runChains(runs(sometimes, [{ n: 0, wait: 60 }, ...hundred.slice(1)])); // one batch; 60 ms in all
    assert.equal(starts, 1);
    starts = 0;
    await s.runChains(runs(sometimes, hundred));
    assert.equal(starts, 15, "split again: 15 batches of 7");
  } finally {
    await s.close();
  }
});

Deno.test("quickBatch: quick on the average call time; a ctx call, a timeout or a crash is never quick", () => {
  const o = (ms: number, error?: string) => ({
    events: [],
    dropped: false,
    logs: [],
    execLog: [{ functionId: "f", ms }],
    ...(error ? { error: { functionId: "f", name: error, message: "" } } : {}),
  });
  const trivial = Array.from({ length: 100 }, () => o(0.01));
  assert.equal(quickBatch(trivial, false), true);
  assert.equal(quickBatch([...trivial.slice(1), o(6)], false), true, "one call held up 6 ms");
  assert.equal(quickBatch([...trivial.slice(1), o(60)], false), false, "60 ms of waiting in 100 calls");
  assert.equal(quickBatch(trivial, true), false, "a call to the host through ctx");
  assert.equal(quickBatch([...trivial.slice(1), o(0, "TimeoutError")], false), false);
  assert.equal(quickBatch([...trivial.slice(1), o(0, "SandboxError")], false), false);
  assert.equal(batchSize(1000, 16, false), 63);
  assert.equal(batchSize(1000, 16, true), 500);
  assert.equal(batchSize(3, 16, false), 1);
});

Deno.test("a chain seen as quick that starts waiting still overlaps its calls' waits", async () => {
  // The host sends a quick chain's next call as one batch; each call here then waits 150 ms (under its
  // 200 ms limit). One after the other that is 64 x 150 ms = 9.6 s, holding a pipeline slot meanwhile; the
  // worker starts the rest of a batch at once after its first 20 ms, so the waits overlap.
  const s = newSandbox({ timeoutMs: 200 });
  try {
    const code =
      `export default async function (e) { if (e.slow) await new Promise((r) => setTimeout(r, 150)); return e; }`;
    await s.runChains(runs(code, Array.from({ length: 64 }, (_, n) => ({ n }))));
    const t0 = performance.now();
    const out = await s.runChains(runs(code, Array.from({ length: 64 }, (_, n) => ({ n, slow: true }))));
    const ms = performance.now() - t0;
    assert.ok(out.every((o) => !o.error && (o.events[0] as { n: number }).n !== undefined));
    assert.deepEqual(
      out.map((o) => (o.events[0] as { n: number }).n),
      Array.from({ length: 64 }, (_, n) => n),
    );
    assert.ok(ms < 4_000, `64 waiting calls took ${Math.round(ms)} ms: they ran one after the other`);
  } finally {
    await s.close();
  }
});

Deno.test("a function that replaces the worker's postMessage cannot add or change outcomes", async () => {
  const s = newSandbox();
  try {
    // Puts an outcome for an event that is not in the call, and a forged one for event 2, before the real
    // outcomes of every `done` message it sees.
    const code = `export default function (e) {
  if (e.n === 0) {
    const orig = globalThis.postMessage;
    globalThis.postMessage = function (m, t) {
      if (m && m.t === "done") {
        const forged = '[1000000,{"events":[],"dropped":false,"logs":[],"execLog":[]}],[2,{"events":[{"forged":true}],"dropped":false,"logs":[],"execLog":[]}],';
        m = { ...m, bytes: new TextEncoder().encode(forged + new TextDecoder().decode(m.bytes)) };
        return orig.call(this, m);
      }
      return orig.call(this, m, t);
    };
  }
  return e;
}`;
    const out = await s.runChains(runs(code, Array.from({ length: 3 }, (_, n) => ({ n }))), 1);
    assert.deepEqual(out.map((o) => o.events), [[{ n: 0 }], [{ n: 1 }], [{ n: 2 }]]);
  } finally {
    await s.close();
  }
});
