import assert from "node:assert/strict";
import { runCli } from "../../src/cli/run.ts";
import { memoryIo } from "./_io.ts";

// Help never opens a store: a DATA_DIR that does not exist proves it (and is never created).
const env = { DATA_DIR: "/nonexistent/sluice-help-test" };

Deno.test("runCli() shows a command group's commands for `<group> --help`, `help <group>` and `<group> -h`", async () => {
  for (const argv of [["user", "--help"], ["help", "user"], ["user", "-h"]]) {
    const io = memoryIo();
    assert.equal(await runCli(argv, env, io), 0, argv.join(" "));
    assert.match(io.out.join("\n"), /^Commands of sluice user:/, argv.join(" "));
    assert.match(io.out.join("\n"), /sluice user create --email E/);
    assert.deepEqual(io.err, []);
  }
  for (const group of ["apikey", "workspace", "secrets", "deadletter"]) {
    const io = memoryIo();
    assert.equal(await runCli([group, "--help"], env, io), 0, group);
    assert.match(io.out.join("\n"), new RegExp(`^Commands of sluice ${group}:`));
  }
  const apikey = memoryIo();
  await runCli(["help", "apikey"], env, apikey);
  for (const c of ["create", "list", "revoke"]) {
    assert.match(apikey.out.join("\n"), new RegExp(`sluice apikey ${c}`));
  }
});

Deno.test("runCli() shows one command's usage for `help <group> <command>` and for every command with --help", async () => {
  const io = memoryIo();
  assert.equal(await runCli(["help", "apikey", "create"], env, io), 0);
  assert.match(io.out[0], /^sluice apikey create --email E/);
  for (
    const cmd of [["serve"], ["migrate"], ["setup-link"], ["healthcheck"], ["user", "create"], [
      "apikey",
      "list",
    ]]
  ) {
    const one = memoryIo();
    assert.equal(await runCli([...cmd, "--help"], env, one), 0, cmd.join(" "));
    assert.match(one.out.join("\n"), new RegExp(`^sluice ${cmd.join(" ")}`));
    const viaHelp = memoryIo();
    assert.equal(await runCli(["help", ...cmd], env, viaHelp), 0, `help ${cmd.join(" ")}`);
    assert.deepEqual(viaHelp.out, one.out);
  }
  const overview = memoryIo();
  assert.equal(await runCli(["help"], env, overview), 0);
  assert.match(overview.out[0], /Usage: sluice <command>/);
  await assert.rejects(Deno.stat(env.DATA_DIR), Deno.errors.NotFound);
});

Deno.test("runCli() answers a group without its command, or an unknown one, with one line and exit 2", async () => {
  const bare = memoryIo();
  assert.equal(await runCli(["apikey"], env, bare), 2);
  assert.deepEqual(bare.err, [
    'sluice: "apikey" needs a command: apikey create, apikey list, apikey revoke (sluice help apikey)',
  ]);
  const typo = memoryIo();
  assert.equal(await runCli(["apikey", "crate"], env, typo), 2);
  assert.match(typo.err[0], /unknown command "apikey crate"/);
  const helpTypo = memoryIo();
  assert.equal(await runCli(["help", "frobnicate"], env, helpTypo), 2);
  assert.match(helpTypo.err[0], /unknown command "frobnicate"/);
});
