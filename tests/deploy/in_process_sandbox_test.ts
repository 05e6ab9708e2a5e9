/**
 * The Functions backends of the Deno Deploy profile: permissionless Workers inside the server process
 * (same time limit as the runner process, a resident-memory ceiling instead of a heap limit), and, where
 * the platform has no Workers, connections with functions refused and events failed loudly.
 */
import assert from "node:assert/strict";
import { memoryLogger } from "../../src/log.ts";
import { functionsBackend, NO_WORKERS_MESSAGE } from "../../src/runtime/profile.ts";
import { memoryFunctionStore } from "../../src/sandbox/function_store.ts";
import type { EventContextData } from "../../src/sandbox/protocol.ts";
import { type ChainRun, Sandbox } from "../../src/sandbox/sandbox.ts";
import { expectJson, testApp } from "../_helpers/app.ts";

function ctxData(workspaceId = "ws1"): EventContextData {
  return {
    props: {},
    headers: {},
    source: { id: "src1", type: "browser" },
    destination: { id: "dst1", type: "webhook" },
    connection: { id: "con1" },
    workspace: { id: workspaceId },
    receivedAt: "2026-01-01T00:00:00.000Z",
    retries: 0,
  };
}

function inProcess(opts: Partial<ConstructorParameters<typeof Sandbox>[0]> = {}) {
  return new Sandbox({
    timeoutMs: 500,
    memoryMb: 512, // growth of the whole test process: other tests in it must not trip the ceiling
    allowPrivateNetwork: false,
    log: memoryLogger(),
    backend: "worker",
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

Deno.test("functionsBackend() keeps runner processes on a machine and picks Workers or none on Deploy", () => {
  assert.equal(functionsBackend({ runtime: "machine" }), "process");
  assert.equal(functionsBackend({ runtime: "deploy" }, () => true), "worker");
  assert.equal(functionsBackend({ runtime: "deploy" }, () => false), "none");
});

Deno.test("in-process Workers: a function runs with no permissions and no subprocess", async () => {
  const s = inProcess();
  try {
    const out = await run(
      s,
      `export default async function (event, ctx) {
  const tries = {
    read: () => Deno.readTextFileSync("/etc/hostname"),
    env: () => Deno.env.get("HOME"),
    run: () => new Deno.Command("/bin/sh").outputSync(),
    net: () => fetch("http://127.0.0.1:5432/"),
    write: () => Deno.writeTextFileSync("/tmp/sluice-inprocess-escape", "x"),
  };
  const out = {};
  for (const [k, f] of Object.entries(tries)) {
    try { await f(); out[k] = "ALLOWED"; } catch (e) { out[k] = e.name; }
  }
  await ctx.store.set("k", "v");
  return { ...event, ...out, stored: await ctx.store.get("k") };
}`,
    );
    assert.equal(out.error, undefined, JSON.stringify(out.error));
    assert.deepEqual(out.events, [{
      type: "track",
      event: "Clicked",
      read: "NotCapable",
      env: "NotCapable",
      run: "NotCapable",
      net: "NotCapable",
      write: "NotCapable",
      stored: "v",
    }]);
    assert.deepEqual(s.runnerPids, [0], "the runner lives in this process: no child was spawned");
  } finally {
    await s.close();
  }
});

Deno.test("in-process Workers: while(true){} is stopped at the time limit by terminating its Worker", async () => {
  const s = inProcess({ timeoutMs: 500 });
  try {
    const marker = `let mark = null;
export default function (e) { if (e.set) mark = e.set; return { mark }; }`;
    await run(s, marker, { event: { set: "kept" } });
    const out = await run(s, `export default function () { while (true) {} }`);
    assert.equal(out.error?.name, "TimeoutError");
    assert.match(out.error!.message, /did not finish within 500 ms/);
    assert.ok(out.retry?.drop);
    const after = await run(s, marker);
    assert.equal(after.events[0].mark, null, "the stuck Worker was replaced by a fresh one");
  } finally {
    await s.close();
  }
});

Deno.test("in-process Workers: ArrayBuffer growth past the ceiling stops the runner, the server lives", async () => {
  const s = inProcess({ memoryMb: 256, timeoutMs: 30_000 });
  try {
    const out = await run(
      s,
      `export default async function () {
  const chunks = [];
  for (let i = 0; i < 128; i++) {
    chunks.push(new Uint8Array(32 * 1024 * 1024).fill(1)); // 4 GB in all
    await new Promise((r) => setTimeout(r, 5));
  }
  return { n: chunks.length };
}`,
    );
    assert.equal(out.error?.name, "SandboxError");
    assert.match(out.error!.message, /resident size grew \d+ MB, over 256 MB/);
    const next = await run(s, `export default function (e) { return { ...e, after: true }; }`);
    assert.equal(next.events[0].after, true);
  } finally {
    await s.close();
  }
});

Deno.test("without Workers: events of a chain fail with the reason, events without functions pass", async () => {
  const s = inProcess({ backend: "none" });
  try {
    const out = await run(s, `export default function (e) { return e; }`);
    assert.equal(out.error?.name, "SandboxError");
    assert.equal(out.error?.message, NO_WORKERS_MESSAGE);
    assert.ok(out.retry, "never a silent pass-through: the event is retried, then dead-lettered");
    const plain = await s.runChain({
      workspaceId: "ws1",
      functions: [],
      event: { type: "track" },
      ctx: ctxData(),
      store: memoryFunctionStore(),
    });
    assert.deepEqual(plain.events, [{ type: "track" }]);
  } finally {
    await s.close();
  }
});

Deno.test("without Workers: creating or updating a connection with functions is refused with 400", async () => {
  const t = await testApp();
  const previous = t.deps.sandbox.options.backend;
  try {
    const u = await t.user();
    const ws = u.workspace.id;
    const post = (type: string, data: Record<string, unknown>) =>
      t.request(`/api/${ws}/config/${type}`, {
        method: "POST",
        headers: { authorization: u.auth },
        json: data,
      });
    const stream = await expectJson(await post("stream", { name: "web" }), 201);
    const dest = await expectJson(
      await post("destination", { name: "hook", destinationType: "webhook", url: "http://127.0.0.1:9/x" }),
      201,
    );
    const fn = await expectJson(await post("function", { name: "f", code: "export default (e) => e" }), 201);
    const plain = await expectJson(
      await post("connection", { fromId: stream.id, toId: dest.id, type: "push", data: {} }),
      201,
    );
    t.deps.sandbox.options.backend = "none";
    const res = await post("connection", {
      fromId: stream.id,
      toId: dest.id,
      type: "push",
      data: { functions: [{ functionId: `udf.${fn.id}` }] },
    });
    assert.equal(res.status, 400);
    assert.match(res.headers.get("content-type") ?? "", /application\/json/);
    const body = await res.json();
    assert.match(JSON.stringify(body), /data\.functions/);
    assert.match(JSON.stringify(body), /offers no Web Workers/);
    const upd = await t.request(`/api/${ws}/config/connection/${plain.id}`, {
      method: "PUT",
      headers: { authorization: u.auth },
      json: { data: { functions: [{ functionId: `udf.${fn.id}` }] } },
    });
    assert.equal(upd.status, 400, await upd.clone().text());
    assert.match(await upd.text(), /offers no Web Workers/);
  } finally {
    t.deps.sandbox.options.backend = previous;
    await t.close();
  }
});
