import { PGlite } from "@electric-sql/pglite";
import { assertChannel, type Db, type Queryable, type Row, type Unlisten } from "./db.ts";

/**
 * PGlite's own start parameters, plus a smaller shared_buffers. PGlite zero-fills its whole shared memory
 * segment at start (emscripten's anonymous mmap), so PostgreSQL's default of 128 MB cost about 0.1 s of
 * CPU on every open and 130 MB of resident memory that most stores never use; 32 MB keeps a console's hot
 * rows and indexes cached, and a miss is a read from the OS page cache (docs/performance.md, Start-up).
 */
const START_PARAMS = [...PGlite.defaultStartParams, "-c", "shared_buffers=32MB"];

/**
 * Opens the embedded store. `dataDir` undefined means in memory (tests); `loadDataDir` starts from a
 * dumped template instead of running initdb (about 0.5 s instead of 4 s, see GOTCHAS.md).
 */
export async function openPglite(
  { dataDir, loadDataDir }: { dataDir?: string; loadDataDir?: Blob } = {},
): Promise<Db & { pglite: PGlite }> {
  const pg = new PGlite({ dataDir, loadDataDir, startParams: START_PARAMS });
  await pg.waitReady;

  async function run<T>(q: Pick<PGlite, "query">, text: string, params?: readonly unknown[]) {
    const res = await q.query<T>(text, params as unknown[] | undefined);
    return res.rows;
  }

  return {
    driver: "pglite",
    pglite: pg,
    query<T = Row>(text: string, params?: readonly unknown[]) {
      return run<T>(pg, text, params);
    },
    async exec(text: string) {
      await pg.exec(text);
    },
    transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      // PGlite serialises transactions itself: one connection, one transaction at a time.
      return pg.transaction(function inTransaction(tx) {
        return fn({
          query: (text, params) => run(tx, text, params),
          exec: async (text) => void await tx.exec(text),
        });
      });
    },
    async listen(
      channel: string,
      onMessage: (payload: string) => void,
      onListen?: () => void,
    ): Promise<Unlisten> {
      assertChannel(channel);
      // In process: the subscription cannot drop, so it is established once.
      const unsub = await pg.listen(channel, onMessage);
      onListen?.();
      return async function unlisten() {
        await unsub();
      };
    },
    async notify(channel: string, payload: string) {
      assertChannel(channel);
      await pg.query("select pg_notify($1, $2)", [channel, payload]);
    },
    async close() {
      if (!pg.closed) await pg.close();
    },
  };
}
