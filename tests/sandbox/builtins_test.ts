/**
 * Clean built-ins: a function that tries to replace JSON.parse, Array.prototype.push, Object.prototype
 * or a global cannot change what other functions (or later events) see, nor how results are sent back.
 */
import assert from "node:assert/strict";
import { memoryLogger } from "../../src/log.ts";
import { memoryFunctionStore } from "../../src/sandbox/function_store.ts";
import type { ChainOutcome, EventContextData } from "../../src/sandbox/protocol.ts";
import { type ChainRun, Sandbox } from "../../src/sandbox/sandbox.ts";

const ctx: EventContextData = {
  props: {},
  headers: {},
  source: { id: "src1", type: "s2s" },
  destination: { id: "dst1", type: "webhook" },
  connection: { id: "con1" },
  workspace: { id: "ws1" },
  receivedAt: "2026-01-01T00:00:00.000Z",
  retries: 0,
};

function runOf(id: string, code: string, event: Record<string, unknown> = { n: 1 }): ChainRun {
  return { workspaceId: "ws1", functions: [{ id, code }], event, ctx, store: memoryFunctionStore() };
}

// A well-behaved function that uses what the hostile ones try to replace.
const HONEST = `export default function (e) {
  const list = [];
  list.push(1, 2);
  const parsed = JSON.parse('{"a":[1,2,3]}');
  const o = {};
  return { ...e, list, parsed, keys: Object.keys({ x: 1, y: 2 }), polluted: o.polluted ?? null,
    mapped: [1, 2].map((x) => x * 10), str: String({}), g: typeof globalThis.leaked };
}`;

function assertHonest(out: ChainOutcome, n: number) {
  assert.equal(out.error, undefined, JSON.stringify(out.error));
  assert.deepEqual(out.events, [{
    n,
    list: [1, 2],
    parsed: { a: [1, 2, 3] },
    keys: ["x", "y"],
    polluted: null,
    mapped: [10, 20],
    str: "[object Object]",
    g: "undefined",
  }]);
}

const HOSTILE: Record<string, string> = {
  "JSON.parse": `export default function (e) { JSON.parse = () => ({ hacked: true }); return e; }`,
  "JSON.stringify": `export default function (e) { JSON.stringify = () => '{"events":[]}'; return e; }`,
  "Array.prototype.push":
    `export default function (e) { Array.prototype.push = function () { return 0; }; return e; }`,
  "Array.prototype.map": `export default function (e) { Array.prototype.map = () => []; return e; }`,
  "Object.keys": `export default function (e) { Object.keys = () => ["hacked"]; return e; }`,
  "Object.prototype": `export default function (e) { Object.prototype.polluted = "yes"; return e; }`,
  "Object.prototype.toString":
    `export default function (e) { Object.prototype.toString = () => "hacked"; return e; }`,
  "defineProperty on a prototype":
    `export default function (e) { Object.defineProperty(Array.prototype, "map", { get() { return () => []; } }); return e; }`,
  "a global":
    `export default function (e) { globalThis.JSON = { parse: () => 1, stringify: () => "1" }; return e; }`,
};

Deno.test("Sandbox: a function that replaces a built-in gets a TypeError; other functions are untouched", async () => {
  const s = new Sandbox({ timeoutMs: 2000, memoryMb: 64, allowPrivateNetwork: false, log: memoryLogger() });
  try {
    for (const [what, code] of Object.entries(HOSTILE)) {
      // The hostile call and honest ones in one batch of the same workspace, and one more batch after.
      const out = await s.runChains([
        runOf("udf.hostile", code, { n: 0 }),
        runOf("udf.honest", HONEST, { n: 1 }),
        runOf("udf.hostile", code, { n: 2 }),
        runOf("udf.honest", HONEST, { n: 3 }),
      ]);
      assert.equal(out[0].error?.name, "TypeError", `${what}: ${JSON.stringify(out[0].error)}`);
      assert.deepEqual(out[0].events, [{ n: 0 }], `${what}: the event goes on unchanged (a plain throw)`);
      assertHonest(out[1], 1);
      assert.equal(out[2].error?.name, "TypeError", what);
      assertHonest(out[3], 3);
      assertHonest((await s.runChains([runOf("udf.honest", HONEST, { n: 4 })]))[0], 4);
    }
    assert.equal(s.processCount, 1);
  } finally {
    await s.close();
  }
});

Deno.test("Sandbox: assigning own toString, constructor and an error's name still works (no override mistake)", async () => {
  const s = new Sandbox({ timeoutMs: 2000, memoryMb: 64, allowPrivateNetwork: false, log: memoryLogger() });
  try {
    const [out] = await s.runChains([runOf(
      "udf.f",
      `class MyError extends Error { constructor(m) { super(m); this.name = "MyError"; } }
export default function (e) {
  const o = {};
  o.toString = () => "mine";
  o.constructor = "c";
  const fromData = {};
  for (const k of ["valueOf", "hasOwnProperty", "toString"]) fromData[k] = k.length;
  const err = new MyError("x");
  return { ...e, s: String(o), c: o.constructor, fromData, err: err.name + ": " + err.message,
    plain: String({}), isErr: err instanceof Error };
}`,
    )]);
    assert.equal(out.error, undefined, JSON.stringify(out.error));
    assert.deepEqual(out.events[0], {
      n: 1,
      s: "mine",
      c: "c",
      fromData: { valueOf: 7, hasOwnProperty: 14, toString: 8 },
      err: "MyError: x",
      plain: "[object Object]",
      isErr: true,
    });
  } finally {
    await s.close();
  }
});

Deno.test("Sandbox: a global a function adds is gone once its batch ends", async () => {
  const s = new Sandbox({ timeoutMs: 2000, memoryMb: 64, allowPrivateNetwork: false, log: memoryLogger() });
  try {
    await s.runChains([runOf("udf.w", `export default function (e) { globalThis.leaked = 1; }`)]);
    const [out] = await s.runChains([runOf("udf.honest", HONEST, { n: 5 })]);
    assertHonest(out, 5);
  } finally {
    await s.close();
  }
});

Deno.test("Sandbox: a global that cannot be deleted makes the runner replace the worker", async () => {
  const s = new Sandbox({ timeoutMs: 2000, memoryMb: 64, allowPrivateNetwork: false, log: memoryLogger() });
  try {
    const [first] = await s.runChains([runOf(
      "udf.w",
      `export default function (e) { Object.defineProperty(globalThis, "leaked", { value: 1, configurable: false }); return { ...e, done: true }; }`,
    )]);
    assert.deepEqual(first.events, [{ n: 1, done: true }], "the call itself finished and keeps its outcome");
    const [out] = await s.runChains([runOf("udf.honest", HONEST, { n: 6 })]);
    assertHonest(out, 6);
  } finally {
    await s.close();
  }
});
