import assert from "node:assert/strict";
import { isDropResult, type LoadedFunction, runChain } from "../../src/sandbox/chain.ts";
import type { FunctionLog } from "../../src/sandbox/protocol.ts";

type Ev = Record<string, unknown>;

function fn(id: string, run: (e: Ev, ctx: unknown) => unknown): LoadedFunction {
  return { id, run, moduleUrl: `blob:null/${id}` };
}

const hooks = { ctxFor: (_id: string, _logs: FunctionLog[]) => ({}) };

class RetryError extends Error {
  constructor(message: string, readonly options?: { drop?: boolean }) {
    super(message);
    this.name = options?.drop ? "Drop & RetryError" : "RetryError";
  }
}

Deno.test("runChain() keeps the mutated event when a function returns nothing", async () => {
  const out = await runChain(
    [fn("a", (e) => {
      e.x = 1;
    })],
    { type: "track" },
    hooks,
  );
  assert.deepEqual(out.events, [{ type: "track", x: 1 }]);
  assert.equal(out.dropped, false);
  assert.equal(out.error, undefined);
});

Deno.test('runChain() drops on "drop", null, false and []', async () => {
  for (const r of ["drop", null, false, []]) {
    const out = await runChain([fn("a", () => r), fn("b", () => ({ reached: true }))], { type: "t" }, hooks);
    assert.deepEqual(out.events, [], `return ${JSON.stringify(r)} must drop`);
    assert.equal(out.dropped, true);
    assert.equal(out.execLog.length, 1, "no later function runs on a dropped event");
  }
  assert.equal(isDropResult(undefined), false);
  assert.equal(isDropResult(0), false);
});

Deno.test("runChain() replaces the event with a returned object and passes it on", async () => {
  const out = await runChain(
    [fn("a", () => ({ type: "page", n: 1 })), fn("b", (e) => ({ ...e, n: (e.n as number) + 1 }))],
    { type: "track" },
    hooks,
  );
  assert.deepEqual(out.events, [{ type: "page", n: 2 }]);
});

Deno.test("runChain() fans out an array from the last function only", async () => {
  const last = await runChain([fn("a", () => undefined), fn("b", () => [{ i: 1 }, { i: 2 }])], {}, hooks);
  assert.deepEqual(last.events, [{ i: 1 }, { i: 2 }]);
  const notLast = await runChain(
    [fn("a", () => [{ i: 1 }, { i: 2 }]), fn("b", () => undefined)],
    { o: 1 },
    hooks,
  );
  assert.deepEqual(notLast.events, [{ o: 1 }], "an array from a non-last function keeps the event");
  assert.match(notLast.error!.message, /only the last function/);
  assert.equal(notLast.logs[0].level, "error");
});

Deno.test("runChain() logs a plain throw and continues with the unchanged event", async () => {
  const out = await runChain(
    [
      fn("a", (e) => {
        e.touched = true;
        throw new Error("bad thing");
      }),
      fn("b", (e) => ({ ...e, b: 1 })),
    ],
    { type: "track" },
    hooks,
  );
  assert.deepEqual(out.events, [{ type: "track", touched: true, b: 1 }]);
  assert.equal(out.error?.message, "bad thing");
  assert.equal(out.logs[0].message, "Function execution failed");
  assert.deepEqual(out.logs[0].args, ["Error", "bad thing"]);
  assert.equal(out.retry, undefined);
});

Deno.test("runChain() stops and asks for a retry on RetryError; {drop:true} also drops now", async () => {
  const later = fn("b", () => ({ never: true }));
  const retry = await runChain(
    [
      fn("a", () => {
        throw new RetryError("db down");
      }),
      later,
    ],
    { k: 1 },
    hooks,
  );
  assert.deepEqual(retry.retry, { message: "db down", drop: false });
  assert.deepEqual(retry.events, [{ k: 1 }]);
  assert.equal(retry.execLog.length, 1);
  const dropRetry = await runChain(
    [fn("a", () => {
      throw new RetryError("later", { drop: true });
    })],
    { k: 1 },
    hooks,
  );
  assert.deepEqual(dropRetry.retry, { message: "later", drop: true });
  assert.equal(dropRetry.dropped, true);
});

Deno.test("runChain() drops without retry on NoRetryError", async () => {
  const err = new Error("invalid payload");
  err.name = "NoRetryError";
  const out = await runChain(
    [fn("a", () => {
      throw err;
    })],
    { k: 1 },
    hooks,
  );
  assert.equal(out.dropped, true);
  assert.equal(out.retry, undefined);
  assert.equal(out.error?.name, "NoRetryError");
});

Deno.test("runChain() rejects a non-event return value and keeps the event", async () => {
  const out = await runChain([fn("a", () => 42)], { k: 1 }, hooks);
  assert.deepEqual(out.events, [{ k: 1 }]);
  assert.match(out.error!.message, /got number/);
});

Deno.test("runChain() awaits async functions and runs each fanned-out event through later functions", async () => {
  const seen: unknown[] = [];
  const out = await runChain(
    [
      fn("a", async (e) => {
        await new Promise((r) => setTimeout(r, 1));
        return { ...e, a: true };
      }),
      fn("b", (e) => {
        seen.push(e);
      }),
    ],
    { k: 1 },
    hooks,
  );
  assert.deepEqual(out.events, [{ k: 1, a: true }]);
  assert.deepEqual(seen, [{ k: 1, a: true }]);
});
