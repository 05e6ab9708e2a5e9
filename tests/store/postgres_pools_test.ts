import assert from "node:assert/strict";
import { openPostgres } from "../../src/store/postgres.ts";
import type { Db, Queryable } from "../../src/store/db.ts";
import { freshPostgresDatabase } from "../_helpers/db.ts";

/** Runs `fn` on a store over a fresh database, then closes the store and drops the database. */
async function withStore(options: { max: number; statementMax: number }, fn: (db: Db) => Promise<void>) {
  const fresh = await freshPostgresDatabase();
  const db = openPostgres(fresh.url, options);
  try {
    await fn(db);
  } finally {
    await db.close();
    await fresh.drop();
  }
}

/** The backends that ran `n` concurrent statements, each of which holds its connection for 20 ms. */
function concurrentBackendPids(db: Db, n: number): Promise<number[]> {
  return Promise.all(
    Array.from(
      { length: n },
      () => db.query<{ pid: number }>("select pg_backend_pid() as pid, pg_sleep(0.02)").then((r) => r[0].pid),
    ),
  );
}

Deno.test("[postgres] statements never wait for a transaction: they have their own pool", async () => {
  // One connection each: with a single shared pool, the statement below would wait for the transaction.
  await withStore({ max: 1, statementMax: 1 }, async (db) => {
    const held = gate();
    const entered = gate();
    const tx = db.transaction(async (q) => {
      await q.query("select 1");
      entered.open();
      await held.opened;
    });
    await entered.opened;
    const answer = await Promise.race([
      db.query<{ n: number }>("select 42 as n").then((rows) => rows[0].n),
      new Promise((r) => setTimeout(() => r("waited"), 3000)),
    ]);
    held.open();
    await tx;
    assert.equal(answer, 42);
  });
});

/** `p`, or a rejection naming `what` if it has not settled within 10 s: a hang fails the test instead. */
async function within<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: still waiting after 10 s`)), 10_000);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A promise and the function that settles it, for holding a transaction open until the test says so. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

Deno.test("[postgres] concurrent statements are spread over every statement connection", async () => {
  await withStore({ max: 1, statementMax: 3 }, async (db) => {
    // Each statement holds its connection for 20 ms, so 30 at once cannot all go to one connection.
    const pids = await concurrentBackendPids(db, 30);
    const perPid = new Map<number, number>();
    for (const pid of pids) perPid.set(pid, (perPid.get(pid) ?? 0) + 1);
    assert.equal(perPid.size, 3, `statements went to ${perPid.size} connections`);
    assert.deepEqual([...perPid.values()], [10, 10, 10]);
    // One at a time, a statement goes to the first idle connection: the others are never needed.
    const serial = new Set<number>();
    for (let i = 0; i < 5; i++) {
      serial.add((await db.query<{ pid: number }>("select pg_backend_pid() as pid"))[0].pid);
    }
    assert.equal(serial.size, 1);
  });
});

Deno.test("[postgres] a failed statement rejects with the server's error and frees its connection", async () => {
  await withStore({ max: 1, statementMax: 2 }, async (db) => {
    const pid = async () => (await db.query<{ pid: number }>("select pg_backend_pid() as pid"))[0].pid;
    const before = await pid();
    await assert.rejects(db.query("select * from no_such_table"), /no_such_table/);
    await assert.rejects(db.exec("select 1/0"), /division by zero/);
    // Had the failures left their connection counted as busy, these would all go to the other one.
    // One at a time, statements go to the first connection whenever it is idle. Had a failure left it
    // counted as busy, this one would go to the other connection.
    assert.equal(await pid(), before);
    const pids = await concurrentBackendPids(db, 4);
    assert.equal(pids.filter((p) => p === before).length, 2);
    assert.equal(new Set(pids).size, 2);
  });
});

Deno.test("[postgres] transactions beyond max wait for a connection and get one in arrival order", async () => {
  await withStore({ max: 2, statementMax: 1 }, async (db) => {
    const gates = Array.from({ length: 5 }, gate);
    try {
      const order: number[] = [];
      const pids = new Set<number>();
      const entered = Array.from({ length: 5 }, gate);
      const txs = gates.map((g, i) =>
        db.transaction(async (q) => {
          pids.add((await q.query<{ pid: number }>("select pg_backend_pid() as pid"))[0].pid);
          order.push(i);
          entered[i].open();
          await g.opened;
          return i;
        })
      );
      await within(Promise.all([entered[0].opened, entered[1].opened]), "first two transactions");
      // Two connections are held; a statement still gets through (it has its own connection).
      assert.equal((await db.query<{ n: number }>("select 7 as n"))[0].n, 7);
      // The first two found idle connections, and may enter in either order.
      assert.deepEqual(order.toSorted(), [0, 1]);
      gates[1].open();
      await within(entered[2].opened, "third transaction");
      gates[0].open();
      await within(entered[3].opened, "fourth transaction");
      gates[2].open();
      gates[3].open();
      await within(entered[4].opened, "fifth transaction");
      gates[4].open();
      assert.deepEqual(await Promise.all(txs), [0, 1, 2, 3, 4]);
      assert.deepEqual(order.slice(2), [2, 3, 4]);
      assert.equal(pids.size, 2, `transactions ran on ${pids.size} connections, max is 2`);
    } finally {
      for (const g of gates) g.open();
    }
  });
});

Deno.test("[postgres] a transaction that throws rolls back, rejects and gives its connection back", async () => {
  await withStore({ max: 1, statementMax: 1 }, async (db) => {
    await db.exec("create table t (n int primary key)");
    await assert.rejects(
      db.transaction(async (q) => {
        await q.query("insert into t values (1)");
        throw new Error("changed my mind");
      }),
      /changed my mind/,
    );
    await assert.rejects(
      db.transaction(async (q) => {
        await q.query("insert into t values (2)");
        await q.query("insert into t values (2)"); // duplicate key
      }),
      /duplicate key/,
    );
    // With max 1, this would wait forever had either failure kept the connection.
    const n = await within(
      db.transaction(async (q) => {
        await q.query("insert into t values (3)");
        return (await q.query<{ n: number }>("select count(*)::int as n from t"))[0].n;
      }),
      "a transaction after two failed ones",
    );
    assert.equal(n, 1);
    assert.deepEqual([...await db.query("select n from t")], [{ n: 3 }]);
  });
});

Deno.test("[postgres] close() refuses transactions that wait for a connection, at once", async () => {
  const fresh = await freshPostgresDatabase();
  const db = openPostgres(fresh.url, { max: 1, statementMax: 1 });
  try {
    const holding = gate();
    const entered = gate();
    const first = db.transaction(async (q) => {
      await q.query("select 1");
      entered.open();
      await holding.opened;
    });
    await within(entered.opened, "first transaction");
    const second = db.transaction((q) => q.query("select 2"));
    const closing = db.close();
    await within(assert.rejects(second, /the database is closed/), "the waiting transaction");
    holding.open();
    await first;
    await closing;
    await assert.rejects(db.transaction((q) => q.query("select 3")), /the database is closed/);
  } finally {
    await fresh.drop();
  }
});

Deno.test("[postgres] a transaction's handle refuses statements once the transaction has ended", async () => {
  await withStore({ max: 1, statementMax: 1 }, async (db) => {
    let leaked: Queryable | null = null;
    await db.transaction(async (q) => {
      leaked = q;
      await q.query("select 1");
    });
    const late = leaked as unknown as Queryable;
    // Had it gone through, it would have run on the connection the next transaction gets.
    await assert.rejects(late.query("select 2"), /the transaction has ended/);
    await assert.rejects(late.exec("select 3"), /the transaction has ended/);
    assert.equal(await db.transaction(async (q) => (await q.query<{ n: number }>("select 4 as n"))[0].n), 4);
  });
});
