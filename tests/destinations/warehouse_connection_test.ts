import assert from "node:assert/strict";
import { testConnection } from "../../src/destinations/warehouse/test_connection.ts";
import { fakePgRejectingPasswords } from "./_fake_pg.ts";
import { MYSQL_HOST, mysqlTarget, PG_HOST, pgTarget } from "./_targets.ts";

Deno.test("testConnection() passes on both real warehouses", async () => {
  for (const open of [pgTarget, mysqlTarget]) {
    const t = await open();
    try {
      assert.deepEqual(await testConnection(t.kind, t.credentials), { ok: true });
      // The probe table is gone again.
      const tables = await t.client.query(
        t.kind === "postgres"
          ? "select table_name from information_schema.tables where table_schema = $1"
          : "select table_name from information_schema.tables where table_schema = ?",
        [t.name],
      );
      assert.equal(tables.length, 0);
    } finally {
      await t.drop();
    }
  }
});

Deno.test("testConnection() names every bad field of the credentials", async () => {
  const r = await testConnection("postgres", { port: "x", sslMode: "sometimes" });
  assert.equal(r.ok, false);
  assert.equal(r.step, "credentials");
  assert.match(r.error!, /^Invalid postgres credentials: /);
  assert.match(r.error!, /host/);
  assert.match(r.error!, /database/);
  assert.match(r.error!, /sslMode/);
});

Deno.test("[mysql] testConnection() says the password is wrong, and then that CREATE is not granted", async () => {
  const t = await mysqlTarget();
  const user = `${t.name}_u`.slice(0, 32);
  try {
    await t.client.query(`create user '${user}'@'127.0.0.1' identified by 'right-password'`);
    await t.client.query(`grant select on ${t.client.quote(t.name)}.* to '${user}'@'127.0.0.1'`);
    const base = { host: MYSQL_HOST, database: t.name, username: user, parameters: { tls: "false" } };
    const wrong = await testConnection("mysql", { ...base, password: "wrong-password" });
    assert.equal(wrong.ok, false);
    assert.equal(wrong.step, "connect");
    assert.equal(
      wrong.error,
      `Cannot connect to mysql at ${MYSQL_HOST}:3306: access denied for user "${user}" (wrong username or password)`,
    );
    assert.ok(!wrong.error!.includes("wrong-password"), "the password never appears in the message");
    const noCreate = await testConnection("mysql", { ...base, password: "right-password" });
    assert.equal(noCreate.ok, false);
    assert.equal(noCreate.step, "create_table");
    assert.match(
      noCreate.error!,
      new RegExp(
        `^Connected to mysql at .* as "${user}", but cannot create tables in database "${t.name}": .*CREATE command denied`,
      ),
    );
  } finally {
    await t.client.query(`drop user if exists '${user}'@'127.0.0.1'`);
    await t.drop();
  }
});

Deno.test("[mysql] testConnection() honours sslMode: reports TLS the server lacks, `preferred` falls back to plain", async () => {
  const base = { host: MYSQL_HOST, database: "test", username: "root", password: "" };
  for (const tls of [{ sslMode: "require" }, { sslMode: "verify-full" }, { parameters: { tls: "true" } }]) {
    const strict = await testConnection("mysql", { ...base, ...tls });
    assert.equal(strict.ok, false, JSON.stringify(tls));
    assert.match(strict.error!, /the server does not support TLS; set sslMode to "disable" or "preferred"/);
  }
  assert.deepEqual(await testConnection("mysql", { ...base, sslMode: "preferred" }), { ok: true });
  assert.deepEqual(await testConnection("mysql", { ...base, parameters: { tls: "preferred" } }), {
    ok: true,
  });
  assert.deepEqual(await testConnection("mysql", { ...base, sslMode: "disable" }), { ok: true });
});

Deno.test("[postgres] testConnection() says the password is wrong", async () => {
  const fake = fakePgRejectingPasswords();
  try {
    const r = await testConnection("postgres", {
      host: "127.0.0.1",
      port: fake.port,
      database: "test",
      username: "postgres",
      password: "wrong-password",
      sslMode: "disable",
    });
    assert.equal(r.ok, false);
    assert.equal(r.step, "connect");
    assert.equal(
      r.error,
      `Cannot connect to postgres at 127.0.0.1:${fake.port}: password authentication failed for user "postgres" (check username and password)`,
    );
  } finally {
    fake.close();
  }
});

Deno.test("[postgres] testConnection() says when CREATE on the schema is not granted", async () => {
  const t = await pgTarget();
  const role = `${t.name}_r`;
  try {
    await t.client.query(`create role ${role} login`);
    await t.client.query(`grant usage on schema ${t.client.quote(t.name)} to ${role}`);
    const r = await testConnection("postgres", { ...t.credentials, username: role });
    assert.equal(r.ok, false);
    assert.equal(r.step, "create_table");
    assert.match(
      r.error!,
      new RegExp(
        `^Connected to postgres at .* as "${role}", but cannot create tables in schema "${t.name}": permission denied`,
      ),
    );
  } finally {
    await t.client.query(`drop owned by ${role}`).catch(() => {});
    await t.client.query(`drop role if exists ${role}`);
    await t.drop();
  }
});

Deno.test("[postgres] testConnection() honours sslMode and explains a server without TLS", async () => {
  const base = { host: PG_HOST, database: "test", username: "postgres" };
  const r = await testConnection("postgres", { ...base, sslMode: "require" });
  assert.equal(r.ok, false);
  assert.equal(
    r.error,
    `Cannot connect to postgres at ${PG_HOST}:5432: the server does not support TLS but sslMode is "require"; set sslMode to "disable"`,
  );
  assert.deepEqual(await testConnection("postgres", { ...base, sslMode: "disable" }), { ok: true });
});

Deno.test("testConnection() reports a refused port and a missing database", async () => {
  const refused = await testConnection("postgres", {
    host: "127.0.0.1",
    port: 1,
    database: "test",
    sslMode: "disable",
  });
  assert.equal(
    refused.error,
    "Cannot connect to postgres at 127.0.0.1:1: connection refused (is the server running, and are host and port right?)",
  );
  const noDb = await testConnection("postgres", {
    host: PG_HOST,
    database: "sluice_no_such_db",
    sslMode: "disable",
  });
  assert.equal(
    noDb.error,
    `Cannot connect to postgres at ${PG_HOST}:5432: database "sluice_no_such_db" does not exist`,
  );
  const noMyDb = await testConnection("mysql", {
    host: MYSQL_HOST,
    database: "sluice_no_such_db",
    password: "",
    parameters: { tls: "false" },
  });
  assert.equal(
    noMyDb.error,
    `Cannot connect to mysql at ${MYSQL_HOST}:3306: database "sluice_no_such_db" does not exist`,
  );
});
