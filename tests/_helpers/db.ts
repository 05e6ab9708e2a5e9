/**
 * Test stores. PGlite: an in-memory database loaded from a migrated template that is built once per
 * migration set and cached in the temp dir (loading takes about 0.5 s; initdb would take 4 s).
 * PostgreSQL: a fresh database per call on the server at PGTEST_URL / 127.0.0.1:5432, or on a
 * throwaway cluster this helper starts with initdb/pg_ctl when no server answers.
 */
import postgres from "postgres";
import type { Db } from "../../src/store/db.ts";
import { loadMigrations, migrate } from "../../src/store/migrate.ts";
import { openPglite } from "../../src/store/pglite.ts";
import { openPostgres } from "../../src/store/postgres.ts";
import { sha256Hex } from "../../src/auth/crypto.ts";

let templatePath: Promise<string> | null = null;

async function buildTemplate(): Promise<string> {
  const migrations = await loadMigrations();
  const key = (await sha256Hex(migrations.map((m) => `${m.version}:${m.sql}`).join("\n"))).slice(0, 16);
  const path = `${Deno.env.get("TMPDIR") ?? "/tmp"}/sluice-test-template-${key}.tar.gz`;
  try {
    await Deno.stat(path);
    return path;
  } catch {
    // build it below
  }
  const db = await openPglite();
  await migrate(db, migrations);
  const dump = await db.pglite.dumpDataDir("gzip");
  await db.close();
  const tmp = `${path}.${crypto.randomUUID()}`;
  await Deno.writeFile(tmp, new Uint8Array(await dump.arrayBuffer()));
  await Deno.rename(tmp, path); // atomic: parallel test files never read a half-written template
  return path;
}

/** A fresh, migrated, in-memory PGlite. Close it at the end of the test. */
export async function testPglite(): Promise<Db> {
  templatePath ??= buildTemplate();
  const bytes = await Deno.readFile(await templatePath);
  const db = await openPglite({ loadDataDir: new Blob([bytes]) });
  return db;
}

let serverUrl: Promise<string> | null = null;

async function canConnect(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

async function run(cmd: string, args: string[], asUser?: string) {
  const full = asUser ? ["runuser", ["-u", asUser, "--", cmd, ...args]] as const : [cmd, args] as const;
  const out = await new Deno.Command(full[0], { args: [...full[1]], stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) throw new Error(`${cmd} failed: ${new TextDecoder().decode(out.stderr)}`);
}

async function findPgBin(): Promise<string | null> {
  try {
    for await (const v of Deno.readDir("/usr/lib/postgresql")) {
      const bin = `/usr/lib/postgresql/${v.name}/bin`;
      try {
        await Deno.stat(`${bin}/initdb`);
        return bin;
      } catch { /* next */ }
    }
  } catch { /* none */ }
  return null;
}

/** A throwaway PostgreSQL cluster: its admin URL, `pg_ctl` on it, and `stop()` that removes it. */
export interface ThrowawayCluster {
  url: string;
  /** The data directory. */
  data: string;
  /** The server's log file. */
  log: string;
  /** Runs `pg_ctl -D <data> <args>` (as `postgres` when we are root); pass `-l` to a start or restart. */
  ctl(args: string[]): Promise<void>;
  /** Starts the server again after a `ctl(["stop"])`, on the same port. */
  start(): Promise<void>;
  /** Stops the cluster (immediate) and deletes its files. */
  stop(): Promise<void>;
}

/** Starts a throwaway cluster on a free port (as `postgres` when we are root: initdb refuses root). */
export async function throwawayCluster(): Promise<ThrowawayCluster> {
  const bin = await findPgBin();
  if (!bin) {
    throw new Error(
      "!!! PostgreSQL is not reachable at 127.0.0.1:5432 (or PGTEST_URL) and initdb/pg_ctl are not installed: " +
        "the PostgreSQL half of the suite cannot run. Install postgresql or set PGTEST_URL. !!!",
    );
  }
  const dir = await Deno.makeTempDir({ prefix: "sluice-pg-" });
  const port = 20000 + Math.floor(Math.random() * 20000);
  const root = Deno.uid?.() === 0;
  if (root) await run("chown", ["postgres", dir]);
  const user = root ? "postgres" : undefined;
  await run(`${bin}/initdb`, ["-D", `${dir}/data`, "-U", "postgres", "--auth=trust"], user);
  const ctl = (args: string[]) => run(`${bin}/pg_ctl`, ["-D", `${dir}/data`, ...args], user);
  // -l: the server's output goes to a file; on a pipe it would keep pg_ctl's output open for ever.
  const start = () =>
    ctl(["-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, "-l", `${dir}/log`, "-w", "start"]);
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    log: `${dir}/log`,
    data: `${dir}/data`,
    ctl,
    start,
    async stop() {
      await ctl(["-m", "immediate", "stop"]).catch(() => {});
      await Deno.remove(dir, { recursive: true });
    },
  };
}

async function startThrowawayCluster(): Promise<string> {
  const cluster = await throwawayCluster();
  console.error(`!!! started a throwaway PostgreSQL at ${cluster.url} (it is left running) !!!`);
  return cluster.url;
}

/** URL of a PostgreSQL server (the admin database); starts one when none answers. */
export function postgresServerUrl(): Promise<string> {
  serverUrl ??= (async () => {
    const url = Deno.env.get("PGTEST_URL") ?? "postgres://postgres@127.0.0.1:5432/postgres";
    if (await canConnect(url)) return url;
    console.error(
      `!!! PostgreSQL is not answering at ${
        url.replace(/:[^:@/]*@/, ":***@")
      }; trying a throwaway cluster !!!`,
    );
    return await startThrowawayCluster();
  })();
  return serverUrl;
}

/** A fresh empty database on the test server; `drop()` removes it. Not migrated. */
export async function freshPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = await postgresServerUrl();
  const name = `sluice_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const sql = postgres(admin, { max: 1, onnotice: () => {} });
  await sql.unsafe(`create database ${name}`);
  await sql.end();
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const s = postgres(admin, { max: 1, onnotice: () => {} });
      await s.unsafe(`drop database if exists ${name} with (force)`);
      await s.end();
    },
  };
}

/** A fresh, migrated PostgreSQL database; closing it drops the database. */
export async function testPostgres(): Promise<Db & { url: string }> {
  const fresh = await freshPostgresDatabase();
  const db = openPostgres(fresh.url, { max: 4 });
  await migrate(db);
  return {
    ...db,
    url: fresh.url,
    async close() {
      await db.close();
      await fresh.drop();
    },
  };
}

/** Both drivers, for suites that must pass on each: `for (const s of STORES) Deno.test(...)`. */
export const STORES: { name: "pglite" | "postgres"; open: () => Promise<Db> }[] = [
  { name: "pglite", open: testPglite },
  { name: "postgres", open: testPostgres },
];
