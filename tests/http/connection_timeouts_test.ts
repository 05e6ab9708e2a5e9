import assert from "node:assert/strict";
import { ConnectionTimeouts } from "../../src/http/connection_timeouts.ts";

function tracker() {
  let t = 0;
  const timeouts = new ConnectionTimeouts({ headerTimeoutMs: 1000, idleTimeoutMs: 5000, now: () => t });
  return { timeouts, advance: (ms: number) => t += ms };
}

Deno.test("ConnectionTimeouts closes a new connection without a request head after the header timeout", () => {
  const { timeouts, advance } = tracker();
  let closed = 0;
  timeouts.add(() => closed++);
  advance(999);
  assert.equal(timeouts.sweep(), 0);
  assert.equal(closed, 0);
  advance(1);
  assert.equal(timeouts.sweep(), 1);
  assert.equal(closed, 1);
  advance(10_000);
  assert.equal(timeouts.sweep(), 0, "closed once; it stays tracked until it has actually ended");
  assert.equal(closed, 1);
});

Deno.test("ConnectionTimeouts never closes a connection while a request is in flight", () => {
  const { timeouts, advance } = tracker();
  let closed = 0;
  const c = timeouts.add(() => closed++);
  timeouts.requestStarted(c);
  advance(60_000);
  assert.equal(timeouts.sweep(), 0);
  timeouts.requestStarted(c);
  timeouts.requestEnded(c);
  advance(60_000);
  assert.equal(timeouts.sweep(), 0, "one of two pipelined requests is still in flight");
  assert.equal(closed, 0);
});

Deno.test("ConnectionTimeouts gives a kept-alive connection the idle timeout from its last response", () => {
  const { timeouts, advance } = tracker();
  let closed = 0;
  const c = timeouts.add(() => closed++);
  advance(500);
  timeouts.requestStarted(c);
  advance(3000);
  timeouts.requestEnded(c);
  advance(4999);
  assert.equal(timeouts.sweep(), 0, "the idle timeout (5 s), not the header timeout (1 s), applies now");
  advance(1);
  assert.equal(timeouts.sweep(), 1);
  assert.equal(closed, 1);
});

Deno.test("ConnectionTimeouts forgets removed connections and counts what it tracks", () => {
  const { timeouts, advance } = tracker();
  let closed = 0;
  const a = timeouts.add(() => closed++);
  timeouts.add(() => closed++);
  assert.equal(timeouts.size, 2);
  timeouts.remove(a);
  assert.equal(timeouts.size, 1);
  assert.equal(timeouts.all().length, 1);
  advance(1000);
  assert.equal(timeouts.sweep(), 1);
  assert.equal(closed, 1);
});
