import assert from "node:assert/strict";
import postgres from "postgres";
import { migrateSummary } from "../../src/cli/commands.ts";
import { runCli } from "../../src/cli/run.ts";
import { loadConfig } from "../../src/config.ts";
import { openExistingStore, StoreLockedError } from "../../src/store/open.ts";
import { freshPostgresDatabase } from "../_helpers/db.ts";
import { memoryIo } from "./_io.ts";

Deno.test("a CLI command run where no embedded store exists says where it looked and creates nothing", async () => {
  const parent = await Deno.makeTempDir({ prefix: "sluice-cli-" });
  const dataDir = `${parent}/.sluice`;
  try {
    for (const argv of [["apikey", "list", "--email", "ops@example.com"], ["setup-link"]]) {
      const io = memoryIo();
      assert.equal(await runCli(argv, { DATA_DIR: dataDir }, io), 1);
      assert.equal(io.err.length, 1, io.err.join("\n"));
      assert.match(io.err[0], new RegExp(`^sluice: No Sluice store in ${dataDir} \\(DATA_DIR=`));
      assert.match(io.err[0], /set DATA_DIR/);
      assert.match(io.err[0], /DATABASE_URL/);
      assert.doesNotMatch(io.err[0], /No user with email/);
      await assert.rejects(Deno.stat(dataDir), Deno.errors.NotFound, "no empty store left behind");
    }
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("a CLI command on a PostgreSQL database without Sluice's tables says so and does not migrate it", async () => {
  const pg = await freshPostgresDatabase();
  try {
    const io = memoryIo();
    assert.equal(
      await runCli(["apikey", "list", "--email", "ops@example.com"], { DATABASE_URL: pg.url }, io),
      1,
    );
    assert.match(io.err[0], /^sluice: The PostgreSQL database of DATABASE_URL has no Sluice tables/);
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    const [row] = await sql`select to_regclass('schema_migrations')::text as t`;
    await sql.end();
    assert.equal(row.t, null, "the command left the database untouched");

    const migrated = memoryIo();
    assert.equal(await runCli(["migrate"], { DATABASE_URL: pg.url }, migrated), 0, migrated.err.join("\n"));
    assert.match(migrated.out[0], /^applied \d+ migrations \(0001\.\.\d{4}\)$/);
    const list = memoryIo();
    assert.equal(
      await runCli(["apikey", "list", "--email", "ops@example.com"], { DATABASE_URL: pg.url }, list),
      1,
    );
    assert.deepEqual(list.err, ['sluice: No user with email "ops@example.com"']);
  } finally {
    await pg.drop();
  }
});

Deno.test("sluice migrate names what it applied on the embedded store, then that it is up to date", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "sluice-cli-" });
  try {
    const first = memoryIo();
    assert.equal(
      await runCli(["migrate"], { DATA_DIR: dataDir, LOG_LEVEL: "warn" }, first),
      0,
      first.err.join("\n"),
    );
    const count = [...Deno.readDirSync(new URL("../../src/store/migrations/", import.meta.url))].length;
    const latest = String(count).padStart(4, "0");
    assert.deepEqual(first.out, [`applied ${count} migrations (0001..${latest})`]);
    const again = memoryIo();
    assert.equal(await runCli(["migrate"], { DATA_DIR: dataDir }, again), 0);
    assert.deepEqual(again.out, [`already up to date at ${latest}`]);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("migrateSummary() counts one, many or no applied migrations", () => {
  assert.equal(migrateSummary([1, 2, 3, 4, 5, 6, 7, 8, 9], 9), "applied 9 migrations (0001..0009)");
  assert.equal(migrateSummary([10], 10), "applied 1 migration (0010)");
  assert.equal(migrateSummary([], 9), "already up to date at 0009");
});

Deno.test("a second process on a busy embedded store is told both ways out: stop the server, or /user", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "sluice-cli-" });
  const config = loadConfig({ DATA_DIR: dataDir, PUBLIC_URL: "http://192.168.1.20:3000" });
  // What a running server holds: an existing store and the lock on it (no initdb needed for that).
  await Deno.mkdir(`${dataDir}/pgdata`);
  await Deno.writeTextFile(`${dataDir}/pgdata/PG_VERSION`, "17\n");
  const lock = await Deno.open(`${dataDir}/sluice.lock`, { read: true, write: true, create: true });
  await lock.lock(true);
  try {
    const err = await openExistingStore(config).then(() => null, (x: Error) => x);
    assert.ok(err instanceof StoreLockedError, String(err));
    assert.match(err.message, /stop that server and run this command again/);
    assert.match(err.message, /http:\/\/192\.168\.1\.20:3000\/user/);
  } finally {
    lock.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("a CLI command whose DATABASE_URL names no database, or a wrong user, says so in one line", async () => {
  const pg = await freshPostgresDatabase();
  try {
    const url = new URL(pg.url);
    const missing = new URL(url);
    missing.pathname = "/sluice_no_such_database";
    const stranger = new URL(url);
    stranger.username = "sluice_no_such_role";
    for (
      const [target, why] of [[missing, /database "sluice_no_such_database" does not exist \(3D000\)/], [
        stranger,
        /role "sluice_no_such_role" does not exist \(28000\)/,
      ]] as const
    ) {
      const io = memoryIo();
      assert.equal(
        await runCli(["apikey", "list", "--email", "ops@example.com"], { DATABASE_URL: target.href }, io),
        1,
      );
      assert.equal(io.err.length, 1, io.err.join("\n"));
      assert.match(io.err[0], /^sluice: The PostgreSQL server of DATABASE_URL refused the connection: /);
      assert.match(io.err[0], why);
      assert.doesNotMatch(io.err[0], /\n|\bat /, "no stack trace");
    }
  } finally {
    await pg.drop();
  }
});
