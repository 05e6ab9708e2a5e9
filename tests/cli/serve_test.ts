import assert from "node:assert/strict";
import { loadConfig } from "../../src/config.ts";
import { runSluice, startSluice } from "../_helpers/process.ts";

Deno.test("HOST defaults to 127.0.0.1, so a laptop does not share its console with the network", () => {
  assert.equal(loadConfig({}).host, "127.0.0.1");
});

Deno.test("sluice serve on a busy port prints one line naming the port and PORT, exits 2, and migrates nothing", async () => {
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (busy.addr as Deno.NetAddr).port;
  const parent = await Deno.makeTempDir({ prefix: "sluice-serve-" });
  const dataDir = `${parent}/.sluice`;
  try {
    const env = { PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_FORMAT: "pretty" };
    const pretty = await runSluice(["serve"], { env });
    assert.equal(pretty.code, 2, pretty.stderr);
    assert.equal(
      pretty.stderr,
      `sluice: port ${port} on 127.0.0.1 is already in use: stop what listens there, or set PORT\n`,
    );
    await assert.rejects(Deno.stat(dataDir), Deno.errors.NotFound, "checked before the store is opened");

    const json = await runSluice([], { env: { ...env, LOG_FORMAT: "json" } });
    assert.equal(json.code, 2);
    const lines = json.stderr.trim().split("\n");
    assert.equal(lines.length, 1, json.stderr);
    const line = JSON.parse(lines[0]);
    assert.equal(line.level, "error");
    assert.match(line.msg, new RegExp(`port ${port} .*set PORT`));
  } finally {
    busy.close();
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("with LOG_FORMAT=json every server line is JSON, shutdown included; a restart keeps the setup link", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "sluice-serve-" });
  try {
    const first = await startSluice({ DATA_DIR: dataDir, LOG_FORMAT: "json" });
    assert.equal(await first.stop(), 0);
    const lines = first.log().trim().split("\n");
    for (const l of lines) assert.doesNotThrow(() => JSON.parse(l), `not JSON: ${l}`);
    const msgs = lines.map((l) => JSON.parse(l).msg as string);
    assert.ok(msgs.includes("shutting down: finishing in-flight requests"), msgs.join("\n"));
    assert.ok(msgs.some((m) => /^applying migration$/.test(m)), "migrations log their progress");
    const applying = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === "applying migration");
    assert.deepEqual(applying[0], { ...applying[0], version: 1, name: "foundation" });
    assert.equal(applying[0].sql, undefined, "progress lines carry no SQL");
    const link = /\/setup\?token=([A-Za-z0-9_-]+)/.exec(first.log());
    assert.ok(link, first.log());

    const second = await startSluice({ DATA_DIR: dataDir, LOG_FORMAT: "json" });
    assert.equal(await second.stop(), 0);
    assert.doesNotMatch(second.log(), /setup\?token=/, "no second token while the first is live");
    assert.match(second.log(), /A setup link was printed at \S+ and works until \S+/);
    assert.match(second.log(), /sluice setup-link/);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
