/**
 * The text a batch of events travels in to the runner (protocol.ts): each distinct ctx once, the queued
 * event's own text when the caller has it, and on the worker's side a ctx of its own for every event. Then
 * the same through a real runner: what one call does to its event or ctx reaches neither the caller's
 * objects nor the next event.
 */
import assert from "node:assert/strict";
import { memoryLogger } from "../../src/log.ts";
import { memoryFunctionStore } from "../../src/sandbox/function_store.ts";
import {
  type BatchItem,
  batchItemsJson,
  batchItemsOf,
  copyJson,
  type EventContextData,
  LineSplitter,
} from "../../src/sandbox/protocol.ts";
import { type ChainRun, Sandbox } from "../../src/sandbox/sandbox.ts";

function ctxData(over: Partial<EventContextData> = {}): EventContextData {
  return {
    props: { region: "eu", nested: { list: [1, { a: "b" }] } },
    headers: { "user-agent": "test" },
    source: { id: "src1", type: "s2s" },
    destination: { id: "dst1", type: "webhook" },
    connection: { id: "con1", options: { mode: "batch" } },
    workspace: { id: "ws1" },
    receivedAt: "2026-01-01T00:00:00.000Z",
    retries: 0,
    ...over,
  };
}

Deno.test("batchItemsJson/batchItemsOf: events and ctxs round-trip; equal ctxs travel once", () => {
  const shared = ctxData();
  const items: BatchItem[] = [
    { event: { n: 0, s: 'é\u2028"' }, ctx: shared },
    { event: { n: 1, deep: { a: [1, 2, { b: null }] } }, ctx: ctxData() }, // equal text, another object
    { event: { n: 2 }, ctx: ctxData({ receivedAt: "2026-01-02T00:00:00.000Z", retries: 3 }) },
    { event: { n: 3 }, ctx: shared },
  ];
  const text = batchItemsJson(items);
  const parsed = JSON.parse(text);
  assert.equal(parsed.ctxs.length, 2, "two distinct ctxs");
  assert.deepEqual(parsed.at, [0, 0, 1, 0]);
  const back = batchItemsOf(text);
  assert.deepEqual(back.map((b) => b.i), [0, 1, 2, 3]);
  assert.deepEqual(back.map((b) => b.event), items.map((it) => it.event));
  assert.deepEqual(back.map((b) => b.ctx), JSON.parse(JSON.stringify(items.map((it) => it.ctx))));
  // Every event has a ctx of its own, down to nested objects.
  for (let i = 0; i < back.length; i++) {
    for (let k = i + 1; k < back.length; k++) {
      assert.notEqual(back[i].ctx, back[k].ctx);
      assert.notEqual(back[i].ctx.props, back[k].ctx.props);
      assert.notEqual(
        (back[i].ctx.props.nested as { list: unknown[] }).list,
        (back[k].ctx.props.nested as { list: unknown[] }).list,
      );
    }
  }
});

Deno.test("batchItemsJson: the ctx text is what JSON.stringify writes (undefined fields left out)", () => {
  const ctx = { ...ctxData(), ua: undefined, geo: { city: { name: "Köln" } } } as EventContextData;
  const text = batchItemsJson([{ event: { n: 1 }, ctx }]);
  assert.deepEqual(JSON.parse(text).ctxs[0], JSON.parse(JSON.stringify(ctx)));
  assert.equal("ua" in JSON.parse(text).ctxs[0], false);
});

Deno.test("batchItemsJson: an event's own text is sent as it is when given", () => {
  const eventJson = '{"n":1,"kept":"as sent"}';
  const text = batchItemsJson([{ event: { n: 1 }, eventJson, ctx: ctxData() }]);
  assert.ok(text.includes(eventJson));
  assert.deepEqual(batchItemsOf(text)[0].event, { n: 1, kept: "as sent" });
});

Deno.test("batchItemsJson throws what JSON.stringify throws (a BigInt)", () => {
  assert.throws(() => batchItemsJson([{ event: { n: 1n }, ctx: ctxData() }]), TypeError);
});

Deno.test("copyJson: a deep copy that keeps a __proto__ key as an own property", () => {
  const x = JSON.parse('{"__proto__":{"polluted":1},"a":[{"b":[1,"2",null,true]}]}');
  const c = copyJson(x) as Record<string, unknown>;
  assert.deepEqual(c, x);
  assert.notEqual(c.a, x.a);
  assert.equal(Object.getPrototypeOf(c), Object.prototype);
  assert.ok(Object.hasOwn(c, "__proto__"));
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

Deno.test("LineSplitter: lines split over chunks, several in one chunk, empty lines, an unfinished rest", () => {
  const lines: string[] = [];
  const s = new LineSplitter();
  for (const chunk of ["ab", "c\nd", "", "e\n\nf\ng", "h", "\n", "rest"]) s.push(chunk, (l) => lines.push(l));
  assert.deepEqual(lines, ["abc", "de", "", "f", "gh"]);
});

function newSandbox() {
  return new Sandbox({ timeoutMs: 2000, memoryMb: 64, allowPrivateNetwork: false, log: memoryLogger() });
}

Deno.test("runChains(): a function cannot change the caller's event or ctx, nor another event's ctx", async () => {
  const s = newSandbox();
  try {
    const code = `export default function (e, ctx) {
  const seen = { props: JSON.stringify(ctx.props), headers: JSON.stringify(ctx.headers) };
  ctx.props.region = "changed by " + e.n;
  ctx.props.nested.list.push(e.n);
  ctx.headers["x-n"] = String(e.n);
  ctx.connection.options.mode = "stream";
  e.nested.touched = true;
  e.n = -1;
  return { ...e, seen };
}`;
    const store = memoryFunctionStore();
    const ctx = ctxData();
    const events = Array.from({ length: 20 }, (_, n) => ({ n, nested: { v: n } }));
    const runs: ChainRun[] = events.map((event) => ({
      workspaceId: "ws1",
      functions: [{ id: "udf.f", code }],
      event,
      eventJson: JSON.stringify(event),
      ctx, // one object for every run, as run_functions.ts shares the connection's parts
      store,
    }));
    const out = await s.runChains(runs);
    const pristine = ctxData();
    for (let n = 0; n < 20; n++) {
      assert.equal(out[n].error, undefined, `event ${n}`);
      const got = out[n].events[0] as { n: number; nested: unknown; seen: Record<string, string> };
      assert.equal(got.n, -1);
      assert.deepEqual(got.nested, { v: n, touched: true });
      // Each event saw the ctx as sent, whatever the calls before it did to theirs.
      assert.equal(got.seen.props, JSON.stringify(pristine.props), `event ${n}`);
      assert.equal(got.seen.headers, JSON.stringify(pristine.headers), `event ${n}`);
    }
    assert.deepEqual(events, Array.from({ length: 20 }, (_, n) => ({ n, nested: { v: n } })));
    assert.deepEqual(ctx, pristine);
  } finally {
    await s.close();
  }
});

Deno.test("batchItemsJson: a ctx that differs from the one before in a nested value or in key order is its own", () => {
  const a = ctxData();
  const { props, ...rest } = ctxData();
  const reordered = { ...rest, props } as EventContextData;
  const items: BatchItem[] = [
    { event: { n: 0 }, ctx: a },
    { event: { n: 1 }, ctx: ctxData() },
    { event: { n: 2 }, ctx: ctxData({ headers: { "user-agent": "other" } }) },
    { event: { n: 3 }, ctx: reordered },
    { event: { n: 4 }, ctx: ctxData({ ua: { bot: false } }) },
    { event: { n: 5 }, ctx: a },
  ];
  const text = batchItemsJson(items);
  assert.deepEqual(JSON.parse(text).at, [0, 0, 1, 2, 3, 0]);
  const back = batchItemsOf(text);
  assert.deepEqual(back.map((b) => JSON.stringify(b.ctx)), items.map((it) => JSON.stringify(it.ctx)));
});
