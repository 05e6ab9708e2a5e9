import assert from "node:assert/strict";
import {
  eventTextOf,
  noticeStreams,
  queueNotice,
  type QueuePayload,
} from "../../src/pipeline/queue_payload.ts";
import { queuePayloadFromIncoming, queuePayloadOfIncoming } from "../../src/store/ingest_repo.ts";

const payload: QueuePayload = {
  event: { type: "track", "1": "integer-like key", properties: { note: 'a "quoted", text\n', n: -0.5 } },
  ingestType: "s2s",
  messageId: "m-1",
  headers: { "user-agent": 'x,"ingestType":"s2s"', event: "not the event" },
  receivedAt: "2026-01-01T00:00:00.000Z",
};

Deno.test("eventTextOf() returns the event's own text, equal to JSON.stringify of the event", () => {
  const json = JSON.stringify(payload);
  assert.equal(eventTextOf(json, JSON.parse(json)), JSON.stringify(payload.event));
  const fromIncoming = queuePayloadFromIncoming(
    JSON.stringify({
      status: "success",
      body: { httpPayload: payload.event, ingestType: "browser", messageId: "m", messageCreated: "t" },
    }),
  )!;
  assert.equal(eventTextOf(fromIncoming, JSON.parse(fromIncoming)), JSON.stringify(payload.event));
});

Deno.test("queuePayloadOfIncoming() writes what JSON.stringify writes, and the event's own text", () => {
  const body = { httpPayload: payload.event, ingestType: "s2s", messageId: 'm-"1"', messageCreated: "t" };
  const cases: Record<string, unknown>[] = [
    { ...body, httpHeaders: payload.headers },
    body,
    { ...body, messageId: undefined },
    { ...body, messageCreated: 5 },
    { ...body, ingestType: null, httpHeaders: ["x"] },
  ];
  for (const b of cases) {
    const built = queuePayloadOfIncoming(JSON.stringify({ status: "SUCCESS", body: b }))!;
    assert.equal(built.json, JSON.stringify(built.payload), JSON.stringify(b));
    assert.equal(built.eventJson, JSON.stringify(payload.event));
    assert.deepEqual(JSON.parse(built.json).event, payload.event);
  }
});

Deno.test("eventTextOf() gives nothing for a payload of another shape", () => {
  const other = (p: unknown, text = JSON.stringify(p)) => eventTextOf(text, JSON.parse(text));
  const { event, ...rest } = payload;
  assert.equal(other({ ...rest, event }), undefined, "event not first");
  assert.equal(other({ ...payload, extra: 1 }), undefined, "an extra field");
  assert.equal(
    other({ event, ingestType: "s2s", messageId: "m-1", headers: {} }),
    undefined,
    "a field missing",
  );
  assert.equal(other(payload, JSON.stringify(payload, null, 1)), undefined, "indented");
});

Deno.test("a queue NOTIFY names its streams once each, or none (any stream) when they are too many to name", () => {
  assert.deepEqual(noticeStreams(queueNotice(["w1/s1", "w1/s2", "w1/s1"])), ["w1/s1", "w1/s2"]);
  assert.equal(noticeStreams(queueNotice([])), null, "no stream named: any");
  const many = Array.from({ length: 1000 }, (_, i) => `workspace-${i}/stream-${i}`);
  assert.equal(noticeStreams(queueNotice(many)), null, "a payload over the limit says any stream");
});
