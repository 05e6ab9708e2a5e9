import assert from "node:assert/strict";
import { runSluice, startSluice } from "../_helpers/process.ts";

async function tempDataDir() {
  return await Deno.makeTempDir({ prefix: "sluice-cli-" });
}

Deno.test("the CLI creates a user, a workspace and an API key that the server accepts", async () => {
  const dir = await tempDataDir();
  const env = { DATA_DIR: dir };
  try {
    // Only serve and migrate create a store; every other command needs one.
    assert.equal((await runSluice(["migrate"], { env })).code, 0);
    const user = await runSluice([
      "user",
      "create",
      "--email",
      "Ops@Example.com",
      "--password-stdin",
      "--admin",
    ], { env, stdin: "correct horse battery\n" });
    assert.equal(user.code, 0, user.stderr);
    assert.match(user.stdout.trim(), /^[a-z0-9]{24}$/);

    const ws = await runSluice([
      "workspace",
      "create",
      "--name",
      "Acme",
      "--owner",
      "ops@example.com",
      "--slug",
      "acme",
    ], { env });
    assert.equal(ws.code, 0, ws.stderr);
    const wsId = ws.stdout.trim();
    assert.match(wsId, /^[a-z0-9]{24}$/);

    const key = await runSluice([
      "apikey",
      "create",
      "--email",
      "ops@example.com",
      "--name",
      "ci",
      "--expires",
      "never",
    ], { env });
    assert.equal(key.code, 0, key.stderr);
    assert.match(key.stdout, /^[a-z0-9]{24}:[A-Za-z0-9_-]{43}\n$/, "stdout is exactly keyId:keySecret");
    const bearer = key.stdout.trim();

    const list = await runSluice(["apikey", "list", "--email", "ops@example.com"], { env });
    assert.equal(list.code, 0, list.stderr);
    assert.ok(list.stdout.includes(bearer.split(":")[0]));
    assert.ok(list.stdout.includes("ci"));
    assert.ok(!list.stdout.includes(bearer.split(":")[1]), "the list never shows the secret");

    const server = await startSluice(env);
    try {
      const res = await fetch(`${server.url}/api/workspace/acme`, {
        headers: { authorization: `Bearer ${bearer}` },
      });
      assert.equal(res.status, 200);
      assert.equal((await res.json()).id, wsId);
      // While the server holds the embedded store, a CLI command stops with a clear message.
      const locked = await runSluice(["apikey", "list", "--email", "ops@example.com"], { env });
      assert.equal(locked.code, 1);
      assert.match(locked.stderr, /in use by another Sluice process/);
      assert.match(
        locked.stderr,
        /stop that server .* or do it in the browser: API keys at http:\/\/\S+\/user/,
      );
    } finally {
      assert.equal(await server.stop(), 0, "SIGTERM shuts down cleanly");
    }
    assert.ok(!server.log().includes(bearer.split(":")[1]), "the server log never shows the key");

    const revoke = await runSluice(["apikey", "revoke", "--id", bearer.split(":")[0]], { env });
    assert.equal(revoke.code, 0, revoke.stderr);
    const server2 = await startSluice(env);
    try {
      const res = await fetch(`${server2.url}/api/workspace`, {
        headers: { authorization: `Bearer ${bearer}` },
      });
      assert.equal(res.status, 401, "revoked key is refused; the restart kept every row");
      await res.body?.cancel();
    } finally {
      await server2.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a bad flag is a one-line error with exit code 2, and --help works on each command", async () => {
  const dir = await tempDataDir();
  const env = { DATA_DIR: dir };
  try {
    const bad = await runSluice(["apikey", "create", "--emial", "x@example.com"], { env });
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim().split("\n").length, 1, bad.stderr);
    assert.match(bad.stderr, /unknown option "--emial"/);
    const unknown = await runSluice(["frobnicate"], { env });
    assert.equal(unknown.code, 2);
    const migrate = await runSluice(["migrate"], { env });
    assert.equal(migrate.code, 0, migrate.stderr);
    assert.match(migrate.stdout, /^applied \d+ migrations \(0001\.\.\d{4}\)\n$/);
    const badExpiry = await runSluice(["apikey", "create", "--email", "x@example.com", "--expires", "soon"], {
      env,
    });
    assert.equal(badExpiry.code, 2);
    assert.match(badExpiry.stderr, /--expires must be/);
    for (
      const cmd of [
        ["serve"],
        ["migrate"],
        ["user", "create"],
        ["workspace", "create"],
        ["apikey", "create"],
        ["apikey", "list"],
        ["apikey", "revoke"],
      ]
    ) {
      const help = await runSluice([...cmd, "--help"], { env });
      assert.equal(help.code, 0, `${cmd.join(" ")} --help`);
      assert.match(help.stdout, new RegExp(`sluice ${cmd.join(" ")}`));
    }
    const missing = await runSluice(["apikey", "create", "--email", "nobody@example.com"], { env });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No user with email "nobody@example.com"/);
    const badSetting = await runSluice(["migrate"], { env: { ...env, LOG_LEVEL: "loud" } });
    assert.equal(badSetting.code, 1);
    assert.match(
      badSetting.stderr,
      /^sluice: Invalid setting LOG_LEVEL="loud": must be one of debug, info, warn, error\n$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("first start without an admin prints a one-time setup link that creates the first admin", async () => {
  const dir = await tempDataDir();
  try {
    const server = await startSluice({ DATA_DIR: dir });
    try {
      const m = /\/setup\?token=([A-Za-z0-9_-]+)/.exec(server.log());
      assert.ok(m, `no setup link in the log:\n${server.log()}`);
      const page = await fetch(`${server.url}/setup?token=${m[1]}`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /Create the first admin/);
      const form = (password: string) =>
        new URLSearchParams({ token: m[1], email: "first@example.com", password, workspace: "Main" });
      const short = await fetch(`${server.url}/setup`, { method: "POST", body: form("short") });
      assert.equal(short.status, 400);
      assert.match(await short.text(), /password: must be at least 8 characters/);
      const ok = await fetch(`${server.url}/setup`, { method: "POST", body: form("long enough password") });
      assert.equal(ok.status, 200, await ok.clone().text());
      const ready = await ok.text();
      assert.match(ready, /Sluice is ready/);
      assert.match(ready, /href="\/user"/);
      const again = await fetch(`${server.url}/setup`, {
        method: "POST",
        body: form("long enough password"),
      });
      assert.equal(again.status, 403);
      await again.body?.cancel();
    } finally {
      await server.stop();
    }
    const key = await runSluice(["apikey", "create", "--email", "first@example.com"], {
      env: { DATA_DIR: dir },
    });
    assert.equal(key.code, 0, key.stderr);
    const server2 = await startSluice({ DATA_DIR: dir });
    try {
      assert.ok(!/setup\?token=/.test(server2.log()), "no setup link once an admin exists");
      const res = await fetch(`${server2.url}/api/workspace`, {
        headers: { authorization: `Bearer ${key.stdout.trim()}` },
      });
      const list = await res.json();
      assert.deepEqual(list.map((w: { name: string }) => w.name), ["Main"]);
    } finally {
      await server2.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
