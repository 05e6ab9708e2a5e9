import assert from "node:assert/strict";
import postgres from "postgres";
import { ServiceUnavailableError } from "../../src/errors.ts";
import { isConnectionError, neverSent, unavailableErrorFromDatabase } from "../../src/store/db_errors.ts";
import type { Db } from "../../src/store/db.ts";
import { openPostgres } from "../../src/store/postgres.ts";
import { freshPostgresDatabase } from "../_helpers/db.ts";

/** Runs `fn` on a one-connection-per-group store over a fresh database, with a second client to kill with. */
async function withStore(
  fn: (
    db: Db,
    kill: (pid: number) => Promise<void>,
    activePid: (text: string) => Promise<number>,
  ) => Promise<void>,
) {
  const fresh = await freshPostgresDatabase();
  const db = openPostgres(fresh.url, { max: 1, statementMax: 1 });
  const admin = postgres(fresh.url, { max: 1, onnotice: () => {} });
  try {
    await fn(
      db,
      async (pid) => void await admin`select pg_terminate_backend(${pid})`,
      async function activePid(text) {
        // Poll until the statement is running on the server (a busy machine may take a while to send it).
        for (let i = 0; i < 250; i++) {
          const rows =
            await admin`select pid from pg_stat_activity where query = ${text} and state = 'active'`;
          if (rows.length) return (rows[0] as unknown as { pid: number }).pid;
          await new Promise((r) => setTimeout(r, 20));
        }
        throw new Error(`the statement never became active: ${text}`);
      },
    );
  } finally {
    await admin.end();
    await db.close();
    await fresh.drop();
  }
}

function pidOf(rows: { pid: number }[]) {
  return rows[0].pid;
}

Deno.test("db_errors: connection errors are 503s; only a refused or timed-out connect proves nothing ran", () => {
  for (const code of ["ECONNREFUSED", "CONNECT_TIMEOUT", "57P03", "53300", "08001"]) {
    assert.ok(isConnectionError({ code }) && neverSent({ code }), code);
  }
  for (const code of ["ECONNRESET", "CONNECTION_CLOSED", "57P01", "57P02", "08006"]) {
    assert.ok(isConnectionError({ code }) && !neverSent({ code }), code);
  }
  for (const code of ["23505", "42P01", "22021", "57014"]) assert.ok(!isConnectionError({ code }), code);
  const e = unavailableErrorFromDatabase({ code: "57P01" });
  assert.ok(e instanceof ServiceUnavailableError);
  assert.equal(e.status, 503);
  assert.equal(e.code, "database_unavailable");
  assert.equal(e.retryAfterSeconds, 5);
  assert.equal(unavailableErrorFromDatabase(new Error("syntax")), null);
});

Deno.test("[postgres] a transaction whose backend is terminated mid-way fails with a 503, the process lives on, the next one works", async () => {
  await withStore(async (db, kill) => {
    await db.exec("create table t (n int)");
    for (let round = 0; round < 3; round++) {
      const failed = db.transaction(async (tx) => {
        const pid = pidOf(await tx.query<{ pid: number }>("select pg_backend_pid() as pid"));
        await tx.query("insert into t values (1)");
        await kill(pid);
        // The connection is gone: this statement, the ROLLBACK postgres.js would send and anything after
        // it must fail here, not in a timer where nothing can catch it.
        await tx.query("insert into t values (2)");
      });
      await assert.rejects(failed, ServiceUnavailableError);
      // Give postgres.js's timers (a write scheduled with setImmediate) the chance to run and crash.
      await new Promise((r) => setTimeout(r, 50));
    }
    await db.transaction((tx) => tx.query("insert into t values (3)"));
    assert.deepEqual([...await db.query("select n from t")], [{ n: 3 }]);
  });
});

Deno.test("[postgres] after its connection is terminated a read runs on a fresh one; a write in flight is not run twice", async () => {
  await withStore(async (db, kill, activePid) => {
    await db.exec("create table t (n int)");
    const pid = pidOf(await db.query<{ pid: number }>("select pg_backend_pid() as pid"));
    await kill(pid);
    await new Promise((r) => setTimeout(r, 100));
    const again = pidOf(await db.query<{ pid: number }>("select pg_backend_pid() as pid"));
    assert.notEqual(again, pid);
    // A write killed in flight may or may not have run: the caller gets the 503, it is not retried.
    const write = db.query("insert into t select 1 from pg_sleep(0.5)");
    write.catch(() => {}); // handled below; a rejection while the kill is on its way is not "uncaught"
    await kill(await activePid("insert into t select 1 from pg_sleep(0.5)"));
    await assert.rejects(write, ServiceUnavailableError);
    await new Promise((r) => setTimeout(r, 700));
    assert.deepEqual([...await db.query("select count(*)::int as n from t")], [{ n: 0 }]);
    // A read killed in flight is run again on a fresh connection.
    const read = db.query<{ n: number }>("select 7 as n from pg_sleep(0.5)");
    read.catch(() => {}); // awaited below
    await kill(await activePid("select 7 as n from pg_sleep(0.5)"));
    assert.deepEqual([...await read], [{ n: 7 }]);
  });
});

Deno.test("[postgres] a channel subscribed while LISTEN is being renewed after a loss gets its notifications", async () => {
  await withStore(async (db, kill) => {
    let listens = 0;
    const b = Promise.withResolvers<string>();
    const subscribedB = Promise.withResolvers<void>();
    await db.listen("chan_a", () => {}, function onListenA() {
      // The second call is the renewal after the kill: subscribe another channel from inside it.
      if (++listens === 2) {
        db.listen("chan_b", b.resolve).then(() => subscribedB.resolve(), subscribedB.reject);
      }
    });
    const rows = await db.query<{ pid: number }>(
      "select pid from pg_stat_activity where datname = current_database() and query ilike 'listen%'",
    );
    assert.equal(rows.length, 1);
    await kill(rows[0].pid);
    await subscribedB.promise;
    await db.notify("chan_b", "hello");
    const got = await Promise.race([
      b.promise,
      new Promise<string>((r) => setTimeout(() => r("timeout"), 5000)),
    ]);
    assert.equal(got, "hello");
  });
});
