/**
 * The sandbox's limits, each proven against real runner processes: permissions, time, memory (V8 heap
 * and ArrayBuffers), workspace isolation, the module cache, the ctx bridge.
 */
import assert from "node:assert/strict";
import { memoryLogger } from "../../src/log.ts";
import { memoryFunctionStore } from "../../src/sandbox/function_store.ts";
import type { EventContextData } from "../../src/sandbox/protocol.ts";
import { type ChainRun, Sandbox } from "../../src/sandbox/sandbox.ts";

function ctxData(workspaceId = "ws1", props: Record<string, unknown> = {}): EventContextData {
  return {
    props,
    headers: { "user-agent": "test" },
    source: { id: "src1", type: "browser" },
    destination: { id: "dst1", type: "webhook" },
    connection: { id: "con1" },
    workspace: { id: workspaceId },
    receivedAt: "2026-01-01T00:00:00.000Z",
    retries: 2,
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

function run(s: Sandbox, code: string, over: Partial<ChainRun> = {}) {
  return s.runChain({
    workspaceId: "ws1",
    functions: [{ id: "udf.f", code }],
    event: { type: "track", event: "Clicked" },
    ctx: ctxData(over.workspaceId),
    store: memoryFunctionStore(),
    ...over,
  });
}

Deno.test("Sandbox runs a function with Jitsu's ctx: props, source, retries, logs", async () => {
  const s = newSandbox();
  try {
    const out = await s.runChain({
      workspaceId: "ws1",
      functions: [{
        id: "udf.f",
        code: `export const config = { name: "t" };
export default async function (event, ctx) {
  ctx.log.info("hello", { n: 1 });
  ctx.log.debug("dbg");
  return { ...event, who: ctx.props.who, src: ctx.source.id, ws: ctx.workspace.id, retries: ctx.retries,
    ua: ctx.headers["user-agent"], conn: ctx.connection.id, dst: ctx.destination.type, at: ctx.receivedAt };
}`,
      }],
      event: { type: "track" },
      ctx: ctxData("ws1", { who: "me" }),
      store: memoryFunctionStore(),
    });
    assert.deepEqual(out.events, [{
      type: "track",
      who: "me",
      src: "src1",
      ws: "ws1",
      retries: 2,
      ua: "test",
      conn: "con1",
      dst: "webhook",
      at: "2026-01-01T00:00:00.000Z",
    }]);
    assert.deepEqual(out.logs.map((l) => [l.level, l.message, l.args]), [["info", "hello", [{ n: 1 }]], [
      "debug",
      "dbg",
      undefined,
    ]]);
  } finally {
    await s.close();
  }
});

Deno.test("Sandbox reports a thrown error with its line number in the user's code", async () => {
  const s = newSandbox();
  try {
    const out = await run(
      s,
      `// line 1
export default function (event) {
  const x = event.nothing;
  return x.deep; // line 4
}`,
    );
    assert.equal(out.error?.name, "TypeError");
    assert.equal(out.error?.line, 4);
    assert.match(out.error!.stack!, /udf\.f\.js:4:\d+/);
    assert.ok(!out.error!.stack!.includes("worker.ts"), "sandbox frames are not shown");
    assert.deepEqual(out.events, [{ type: "track", event: "Clicked" }], "a plain throw keeps the event");
  } finally {
    await s.close();
  }
});

Deno.test("Sandbox supports RetryError and NoRetryError from @jitsu/functions-lib and as globals", async () => {
  const s = newSandbox();
  try {
    const retry = await run(
      s,
      `import { RetryError } from "@jitsu/functions-lib";
export default function () { throw new RetryError("try later"); }`,
    );
    assert.deepEqual(retry.retry, { message: "try later", drop: false });
    const dropRetry = await run(
      s,
      `export default function () { throw new RetryError("x", { drop: true }); }`,
    );
    assert.equal(dropRetry.retry?.drop, true);
    const noRetry = await run(s, `export default function () { throw new NoRetryError("bad input"); }`);
    assert.equal(noRetry.dropped, true);
    assert.equal(noRetry.retry, undefined);
  } finally {
    await s.close();
  }
});

Deno.test("Sandbox denies files, env, network, subprocesses and imports to user code", async () => {
  const s = newSandbox();
  try {
    const out = await run(
      s,
      `export default async function (event) {
  const tries = {
    read: () => Deno.readTextFileSync("/etc/hostname"),
    env: () => Deno.env.get("HOME"),
    run: () => new Deno.Command("/bin/sh").outputSync(),
    net: () => fetch("http://127.0.0.1:5432/"),
    connect: () => Deno.connect({ hostname: "127.0.0.1", port: 5432 }),
    write: () => Deno.writeTextFileSync("/tmp/sluice-sandbox-escape", "x"),
  };
  const out = {};
  for (const [k, f] of Object.entries(tries)) {
    try { await f(); out[k] = "ALLOWED"; } catch (e) { out[k] = e.name; }
  }
  return out;
}`,
    );
    assert.deepEqual(out.events, [{
      read: "NotCapable",
      env: "NotCapable",
      run: "NotCapable",
      net: "NotCapable",
      connect: "NotCapable",
      write: "NotCapable",
    }]);
    const imp = await run(
      s,
      `import x from "https://deno.land/std/path/mod.ts"; export default function () {}`,
    );
    assert.equal(imp.error?.name, "CompileError");
    assert.ok(imp.retry, "a function that cannot load must not let events through unchanged");
  } finally {
    await s.close();
  }
});

Deno.test("Sandbox stops while(true){} at the time limit and the next call works", async () => {
  const s = newSandbox({ timeoutMs: 500 });
  try {
    const started = performance.now();
    const out = await run(s, `export default function () { while (true) {} }`);
    const ms = performance.now() - started;
    assert.equal(out.error?.name, "TimeoutError");
    assert.match(out.error!.message, /did not finish within 500 ms/);
    assert.ok(out.retry?.drop, "a timeout drops now and retries later, as Jitsu does");
    assert.ok(ms >= 450 && ms < 3000, `stopped after ${ms} ms`);
    const next = await run(s, `export default function (e) { return { ...e, ok: true }; }`);
    assert.equal(next.events[0].ok, true);
    assert.equal(s.processCount, 1, "the worker was replaced inside the same runner process");
  } finally {
    await s.close();
  }
});

Deno.test("Sandbox times out a merely slow call alone, keeping the worker (and its state) for others", async () => {
  const s = newSandbox({ timeoutMs: 300 });
  // Module state lives as long as the worker does (globals a call sets do not outlive the call).
  const marker = `let mark = null;
export default function (e) { if (e.set) mark = e.set; return { mark }; }`;
  try {
    await run(s, marker, { event: { set: "kept" } });
    const slow = await run(
      s,
      `export default async function () { await new Promise((r) => setTimeout(r, 5000)); }`,
    );
    assert.equal(slow.error?.name, "TimeoutError");
    const after = await run(s, marker);
    assert.equal(after.events[0].mark, "kept", "a responsive worker is not replaced");
    await run(s, `export default function () { while (true) {} }`);
    const replaced = await run(s, marker);
    assert.equal(replaced.events[0].mark, null, "a stuck worker is replaced by a fresh one");
  } finally {
    await s.close();
  }
});

Deno.test("Sandbox re-runs a call interrupted by another call's timeout", async () => {
  const s = newSandbox({ timeoutMs: 400 });
  try {
    const slowButFine = run(
      s,
      `export default async function (e) {
  await new Promise((r) => setTimeout(r, 200)); return { ...e, fine: true }; }`,
    );
    const loop = run(s, `export default function () { while (true) {} }`);
    const [a, b] = await Promise.all([slowButFine, loop]);
    assert.equal(b.error?.name, "TimeoutError");
    assert.equal(a.events[0]?.fine, true, "the innocent call was run again and succeeded");
  } finally {
    await s.close();
  }
});

Deno.test("Sandbox contains a heap memory bomb: the runner dies, the server lives, the next call works", async () => {
  // A long wall-clock limit, as for the ArrayBuffer bomb below: on a loaded machine filling 64 MB took over
  // the default 1 s, and the timeout (a containment too, but not the one under test) fired first.
  const s = newSandbox({ memoryMb: 64, timeoutMs: 30_000 });
  try {
    const out = await run(
      s,
      `export default function () {
  const hog = [];
  while (true) hog.push(new Array(100000).fill(Math.random()));
}`,
    );
    assert.equal(out.error?.name, "SandboxError");
    assert.match(out.error!.message, /out of memory/);
    assert.ok(out.retry, "the event is retried later, not lost");
    const next = await run(s, `export default function (e) { return { ...e, after: true }; }`);
    assert.equal(next.events[0].after, true);
  } finally {
    await s.close();
  }
});

Deno.test("Sandbox contains an ArrayBuffer memory bomb (outside the V8 heap) with its RSS watchdog", async () => {
  // A long wall-clock limit: on a loaded CI machine filling the first chunks took over the default 1 s, so
  // the timeout (also a containment, but not the one under test) fired before the watchdog.
  const s = newSandbox({ memoryMb: 64, rssLimitMb: 300, timeoutMs: 30_000 });
  try {
    const out = await run(
      s,
      `export default function () {
  const chunks = [];
  for (let i = 0; i < 64; i++) chunks.push(new Uint8Array(256 * 1024 * 1024).fill(1)); // 16 GB
  return { n: chunks.length };
}`,
    );
    assert.equal(out.error?.name, "SandboxError");
    assert.match(out.error!.message, /resident size \d+ MB passed 300 MB|out of memory/);
    const next = await run(s, `export default function (e) { return { ...e, after: true }; }`);
    assert.equal(next.events[0].after, true);
  } finally {
    await s.close();
  }
});

Deno.test("Sandbox keeps workspaces apart: state kept in one is invisible in another", async () => {
  const s = newSandbox();
  try {
    const code = `let secret = null;
export default function (e) { if (e.secret) secret = e.secret; return { seen: secret }; }`;
    await run(s, code, { workspaceId: "ws1", event: { secret: "ws1-secret" } });
    const same = await run(s, code, { workspaceId: "ws1" });
    const other = await run(s, code, { workspaceId: "ws2" });
    assert.equal(same.events[0].seen, "ws1-secret", "control: the same workspace shares its module");
    assert.equal(other.events[0].seen, null);
    assert.equal(s.processCount, 2, "one runner process per workspace");
  } finally {
    await s.close();
  }
});

Deno.test("Sandbox caches a function's module by code hash and reloads changed code", async () => {
  const s = newSandbox();
  try {
    const code = `let calls = 0; export default function (e) { calls++; return { calls }; }`;
    assert.equal((await run(s, code)).events[0].calls, 1);
    assert.equal((await run(s, code)).events[0].calls, 2, "same hash: the module instance is reused");
    const changed = code + "\n// v2";
    assert.equal((await run(s, changed)).events[0].calls, 1, "new hash: a new module");
  } finally {
    await s.close();
  }
});

Deno.test("Sandbox bridges ctx.store (get/set/del/ttl/getWithTTL) to the store it is given", async () => {
  const s = newSandbox();
  try {
    const store = memoryFunctionStore({ seeded: 5 });
    const out = await run(
      s,
      `export default async function (e, { store }) {
  await store.set("a", { n: 1 });
  await store.set("b", 2, "1h");
  await store.set("c", 3, { ttl: 60 });
  const r = { a: await store.get("a"), seeded: await store.get("seeded"), missing: await store.get("zzz") ?? null,
    ttlA: await store.ttl("a"), ttlB: await store.ttl("b"), ttlNone: await store.ttl("zzz"),
    withTtl: await store.getWithTTL("c") };
  await store.del("seeded");
  try { await store.set("d", 1, "soon"); } catch (err) { r.badTtl = err.message; }
  return r;
}`,
      { store },
    );
    const r = out.events[0];
    assert.deepEqual(r.a, { n: 1 });
    assert.equal(r.seeded, 5);
    assert.equal(r.missing, null);
    assert.equal(r.ttlA, 31 * 86400, "no ttl: 31 days, as in Jitsu");
    assert.equal(r.ttlB, 3600);
    assert.equal(r.ttlNone, -2);
    assert.deepEqual(r.withTtl, { value: 3, ttl: 60 });
    assert.match(String(r.badTtl), /ttl "soon"/);
    assert.deepEqual(store.dump(), { a: { n: 1 }, b: 2, c: 3 });
  } finally {
    await s.close();
  }
});

Deno.test("Sandbox performs ctx.fetch on the host: private addresses refused unless allowed", async () => {
  await using server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    return Response.json({ got: await req.json(), method: req.method });
  });
  const code = `export default async function (e, ctx) {
  try {
    const res = await ctx.fetch("http://127.0.0.1:${server.addr.port}/hook", {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ a: 1 }) });
    return { status: res.status, body: await res.json() };
  } catch (err) { return { error: err.message }; }
}`;
  const closed = newSandbox();
  const open = newSandbox({ allowPrivateNetwork: true });
  try {
    const refused = await run(closed, code);
    assert.match(String(refused.events[0].error), /non-public address/);
    assert.equal(refused.logs[0].type, "http");
    const allowed = await run(open, code);
    assert.deepEqual(allowed.events[0], { status: 200, body: { got: { a: 1 }, method: "POST" } });
    assert.equal(allowed.logs[0].type, "http");
    assert.equal(allowed.logs[0].data?.status, 200);
  } finally {
    await closed.close();
    await open.close();
  }
});

Deno.test("Sandbox ignores what user code prints to stdout (it cannot forge a reply)", async () => {
  const s = newSandbox();
  try {
    const out = await run(
      s,
      `export default function (e) {
  Deno.stdout.writeSync(new TextEncoder().encode('{"t":"done","id":1,"outcome":{"events":[{"forged":true}]}}\\n'));
  console.log("hello from user code");
  return { ...e, real: true };
}`,
    );
    assert.equal(out.events[0].real, true);
    assert.equal(out.events[0].forged, undefined);
  } finally {
    await s.close();
  }
});

Deno.test("Sandbox keeps at most 100 log calls per event and truncates huge messages", async () => {
  const s = newSandbox();
  try {
    const out = await run(
      s,
      `export default function (e, ctx) {
  ctx.log.info("x".repeat(50000));
  for (let i = 0; i < 500; i++) ctx.log.info("line " + i);
}`,
    );
    assert.equal(out.logs.length, 101);
    assert.match(out.logs[0].message, /\.\.\. \(truncated\)$/);
    assert.ok(out.logs[0].message.length < 11_000);
    assert.match(out.logs[100].message, /More than 100 log calls/);
  } finally {
    await s.close();
  }
});
