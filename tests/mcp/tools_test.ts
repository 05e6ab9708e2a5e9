/** The model-facing contract: tools/list is validated statically and snapshot-tested (STYLE.md). */
import assert from "node:assert/strict";
import * as v from "valibot";
import { memoryLogger } from "../../src/log.ts";
import { defineTool } from "../../src/mcp/define_tool.ts";
import { toolCatalog } from "../../src/mcp/server.ts";
import { NotFoundError } from "../../src/errors.ts";
import { ProtocolError } from "@modelcontextprotocol/server";
import { expectJson, testApp } from "../_helpers/app.ts";
import { CORE_TOOLS, rpc } from "./rpc.ts";

const SNAPSHOTS = new URL("./__snapshots__/tools/", import.meta.url);

Deno.test("every tool states all four annotations, a title, a model-facing description and object schemas", () => {
  const { listResult } = toolCatalog();
  assert.deepEqual(listResult.tools.slice(0, CORE_TOOLS.length).map((t) => t.name), CORE_TOOLS);
  assert.equal(
    new Set(listResult.tools.map((t) => t.name)).size,
    listResult.tools.length,
    "names are unique",
  );
  for (const tool of listResult.tools) {
    for (const hint of ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const) {
      assert.equal(typeof tool.annotations?.[hint], "boolean", `${tool.name}.${hint} must be set`);
    }
    assert.ok(tool.title && tool.title.length > 3, `${tool.name} has a title`);
    assert.ok(tool.description && tool.description.length >= 80, `${tool.name} has a real description`);
    assert.equal(tool.inputSchema.type, "object", tool.name);
    assert.equal(tool.outputSchema?.type, "object", tool.name);
    assert.match(tool.name, /^[a-z_]+$/);
  }
  const nine = listResult.tools.filter((t) => CORE_TOOLS.includes(t.name));
  const writes = nine.filter((t) => !t.annotations?.readOnlyHint).map((t) => t.name);
  assert.deepEqual(writes, ["create_resource", "update_resource", "delete_resource"]);
  const destructive = nine.filter((t) => t.annotations?.destructiveHint).map((t) => t.name);
  assert.deepEqual(destructive, ["delete_resource"]);
  assert.match(
    listResult.tools.find((t) => t.name === "create_resource")!.description!,
    /get_resource_schema/,
    "create_resource says what to call first",
  );
});

Deno.test("tools/list over HTTP matches the committed per-tool snapshots (UPDATE_SNAPSHOTS=1 rewrites them)", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const body = await expectJson(await rpc(t, u.auth, "tools/list"), 200);
    const update = Deno.env.get("UPDATE_SNAPSHOTS") === "1";
    if (update) await Deno.mkdir(SNAPSHOTS, { recursive: true });
    const listed = new Set<string>();
    for (const tool of body.result.tools) {
      listed.add(`${tool.name}.json`);
      const file = new URL(`${tool.name}.json`, SNAPSHOTS);
      const actual = JSON.stringify(tool, null, 2) + "\n";
      if (update) await Deno.writeTextFile(file, actual);
      let expected: string;
      try {
        expected = await Deno.readTextFile(file);
      } catch {
        throw new Error(`tool ${tool.name} has no snapshot: rerun with UPDATE_SNAPSHOTS=1 and commit it`);
      }
      assert.equal(
        actual,
        expected,
        `tool ${tool.name} changed: review the diff, then rerun with UPDATE_SNAPSHOTS=1`,
      );
    }
    for await (const e of Deno.readDir(SNAPSHOTS)) {
      if (update && !listed.has(e.name)) await Deno.remove(new URL(e.name, SNAPSHOTS));
      else {assert.ok(
          listed.has(e.name),
          `snapshot ${e.name} belongs to no tool: remove it (UPDATE_SNAPSHOTS=1)`,
        );}
    }
  } finally {
    await t.close();
  }
});

Deno.test("the tool list is built once per process, not per request", () => {
  assert.equal(toolCatalog(), toolCatalog());
  assert.equal(toolCatalog().listResult.tools[0], toolCatalog().byName.get("list_workspaces")!.listEntry);
});

Deno.test("defineTool() turns an exposed AppError into an isError result and a bug into a logged JSON-RPC error", async () => {
  const log = memoryLogger();
  const ctx = {
    log,
    requestId: "req-42",
    principal: { canWrite: true },
  } as unknown as Parameters<ReturnType<typeof defineTool>["call"]>[0];
  const tool = (run: () => Promise<Record<string, unknown>>) =>
    defineTool({
      name: "probe",
      title: "Probe",
      description: "test",
      input: v.object({}),
      output: v.object({ ok: v.boolean() }),
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      run: run as () => Promise<{ ok: boolean }>,
    });
  const found = await tool(() => Promise.resolve({ ok: true })).call(ctx, {});
  assert.deepEqual(found, {
    content: [{ type: "text", text: '{"ok":true}' }],
    structuredContent: { ok: true },
  });

  const missing = await tool(() => Promise.reject(new NotFoundError('stream "s1" not found'))).call(ctx, {});
  assert.deepEqual(missing, { content: [{ type: "text", text: 'stream "s1" not found' }], isError: true });

  await assert.rejects(
    () => tool(() => Promise.reject(new Error("connection string postgres://u:pw@db leaked"))).call(ctx, {}),
    (e) => {
      assert.ok(e instanceof ProtocolError);
      assert.equal(e.code, -32603);
      assert.equal(e.message.includes("pw@db"), false, "no internals in the message");
      assert.match(e.message, /req-42/);
      return true;
    },
  );
  assert.equal(log.lines.some((l) => l.includes("mcp tool failed") && l.includes("req-42")), true, "logged");
});
