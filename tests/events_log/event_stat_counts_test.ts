import assert from "node:assert/strict";
import { statDeltas } from "../../src/events_log/event_stat_counts.ts";

const at = (s: number) => new Date(Date.UTC(2026, 11, 7, 19, 0, s));

Deno.test("statDeltas() sums runs and interleaved entries per workspace, source, status, minute and kind", () => {
  const entry = (actorId: string, type: string, status: string, t: Date, workspaceId = "w") => ({
    workspaceId,
    actorId,
    type,
    level: status === "FAILED" ? "error" : "info",
    timestamp: t,
    message: { status },
  });
  const entries = [
    entry("c1", "bulker_stream", "SUCCESS", at(1)),
    entry("c1", "bulker_stream", "SUCCESS", at(2)),
    entry("c2", "bulker_stream", "SUCCESS", at(3)),
    entry("c1", "bulker_stream", "SUCCESS", at(4)),
    entry("c1", "bulker_stream", "FAILED", at(5)),
    entry("c1", "bulker_stream", "SUCCESS", at(61)),
    entry("c1", "bulker_stream", "SUCCESS", at(6), "w2"),
    entry("c1", "incoming", "SUCCESS", at(7)),
    entry("c1", "bulker_stream", "SUCCESS", at(8)),
  ];
  const { connections, streams } = statDeltas(entries, at(0), [
    { workspaceId: "w", actorId: "c1", status: "delivered", events: 5, timestamp: at(9) },
  ]);
  const minute = (s: number) => new Date(Math.floor(at(s).getTime() / 60_000) * 60_000);
  assert.deepEqual(
    connections.map((d) => [d.workspaceId, d.connectionId, d.status, d.minute.getTime(), d.events]),
    [
      ["w", "c1", "delivered", minute(0).getTime(), 9],
      ["w", "c2", "delivered", minute(0).getTime(), 1],
      ["w", "c1", "error", minute(0).getTime(), 1],
      ["w", "c1", "delivered", minute(61).getTime(), 1],
      ["w2", "c1", "delivered", minute(0).getTime(), 1],
    ],
  );
  assert.deepEqual(
    streams.map((d) => [d.workspaceId, d.connectionId, d.status, d.events]),
    [["w", "c1", "incoming", 1]],
  );
});
