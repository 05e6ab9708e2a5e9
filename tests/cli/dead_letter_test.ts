import assert from "node:assert/strict";
import type { CliIo } from "../../src/cli/io.ts";
import { deadLetterList, deadLetterReplay } from "../../src/cli/dead_letter.ts";
import { insertDeadLetters } from "../../src/store/dead_letter_repo.ts";
import { expectJson, testApp } from "../_helpers/app.ts";

function captureIo(): CliIo & { out: string[] } {
  const out: string[] = [];
  return {
    out,
    stdout: (l) => out.push(l),
    stderr: () => {},
    readStdin: () => Promise.resolve(""),
    promptSecret: () => Promise.resolve(null),
  };
}

Deno.test("sluice deadletter list / replay show and requeue a workspace's dead letters", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const ws = u.workspace.id;
    const payload = (m: string) => JSON.stringify({ messageId: m, event: { type: "track", event: "E" } });
    await insertDeadLetters(t.deps.db, [
      {
        workspaceId: ws,
        streamId: "s",
        connectionId: "c1",
        payloadJson: payload("m1"),
        error: "Webhook answered 503",
        attempts: 4,
      },
      {
        workspaceId: ws,
        streamId: "s",
        connectionId: "c2",
        payloadJson: payload("m2"),
        error: "boom\nline",
        attempts: 4,
      },
    ]);
    const io = captureIo();
    await deadLetterList.run(t.deps, ["--workspace", ws], io);
    assert.equal(io.out.length, 3);
    assert.match(io.out[1], /\tc2\tm2\t4\tboom line$/);

    const rest = await expectJson(
      await t.request(`/api/${ws}/dead-letter/c1`, { headers: { authorization: u.auth } }),
      200,
    );
    assert.equal(rest.length, 1);
    assert.equal(rest[0].actorId, "c1");
    assert.deepEqual(rest[0].payload, { type: "track", event: "E" });

    const io2 = captureIo();
    await deadLetterReplay.run(t.deps, ["--workspace", ws, "--connection", "c1"], io2);
    assert.deepEqual(io2.out, ["replayed 1"]);
    const q = await t.deps.db.query<{ connection_id: string; attempts: number }>(
      "select connection_id, attempts from event_queue",
    );
    assert.deepEqual(q.map((r) => [r.connection_id, Number(r.attempts)]), [["c1", 0]]);
    await assert.rejects(deadLetterReplay.run(t.deps, [], captureIo()), /--workspace is required/);
    await assert.rejects(deadLetterReplay.run(t.deps, ["--workspace", "nope"], captureIo()), /not found/);
  } finally {
    await t.close();
  }
});
