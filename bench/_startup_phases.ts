/**
 * Run by bench/startup.ts in its own process: the steps of `sluice serve` on an existing store (DATA_DIR,
 * or PostgreSQL when DATABASE_URL is set), each timed from the process's first line, so the slowest step
 * shows. Serially: `serve` overlaps the store's opening with loading the app's modules.
 */
import process from "node:process";

const t0 = performance.now();
let last = t0;
let lastCpu = process.cpuUsage();

// Wall-clock ms, and the CPU ms of the whole process (every thread: PGlite's WebAssembly compiles on others).
function lap(step: string) {
  const now = performance.now();
  const cpu = process.cpuUsage();
  const cpuMs = (cpu.user + cpu.system - lastCpu.user - lastCpu.system) / 1000;
  console.log(
    `  ${step.padEnd(42)} +${(now - last).toFixed(0).padStart(5)} ms   at ${
      (now - t0).toFixed(0).padStart(5)
    } ms   CPU +${cpuMs.toFixed(0).padStart(4)} ms`,
  );
  last = now;
  lastCpu = cpu;
}

const { loadConfig } = await import("../src/config.ts");
const { openStore } = await import("../src/store/open.ts");
const { migrate } = await import("../src/store/migrate.ts");
lap("load config and store modules");
const { openDeps } = await import("../src/compose.ts");
const { createApp } = await import("../src/app.ts");
const { bootstrap } = await import("../src/services/bootstrap.ts");
const { createLogger } = await import("../src/log.ts");
lap("load the app's modules");
const config = loadConfig(Deno.env.toObject());
const embedded = !config.databaseUrl;
await import(embedded ? "../src/store/pglite.ts" : "../src/store/postgres.ts");
lap(embedded ? "load PGlite's module" : "load the PostgreSQL driver's module");
const db = await openStore(config);
lap(embedded ? "open the store (start PGlite)" : "open the store (first connection)");
await migrate(db);
lap("check migrations");
const deps = await openDeps(config, { db, log: createLogger({ level: "warn" }) });
lap("load secrets (and check migrations again)");
await bootstrap(deps);
lap("bootstrap check");
const app = createApp(deps);
lap("build the app");
const { promise, resolve } = Promise.withResolvers<void>();
const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => resolve() }, app.fetch);
await promise;
lap("listen");
const addr = server.addr as Deno.NetAddr;
const res = await fetch(`http://127.0.0.1:${addr.port}/healthz`);
await res.body?.cancel();
lap(`first /healthz (${res.status})`);
await server.shutdown();
await db.close();
lap("close");
