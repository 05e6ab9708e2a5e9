/**
 * A throwaway ClickHouse for the destination tests: Debian's `clickhouse-server` package started on
 * free loopback ports in a temp dir (as tests/_helpers/db.ts does with initdb), one per test process,
 * killed and deleted when the process ends. Call it at the top level of a test module (so the server
 * is not a resource leaked by the first test), then give each test its own database.
 */
const BIN = Deno.env.get("CLICKHOUSE_SERVER_BIN") ?? "/usr/sbin/clickhouse-server";

export interface ClickhouseServer {
  /** `127.0.0.1:<http port>`. */
  host: string;
  /** Runs a statement as `default` (no password); SELECTs return JSONEachRow rows. */
  query(sql: string): Promise<Record<string, unknown>[]>;
  /**
   * A fresh database and credentials for a destination on it (user `sluice`, password `secret`; user
   * `reader` with the same password may only read).
   */
  database(): Promise<{ name: string; credentials: Record<string, unknown>; drop(): Promise<void> }>;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

function configXml(dir: string, http: number, tcp: number): string {
  return `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${dir}/server.log</log><errorlog>${dir}/error.log</errorlog></logger>
  <http_port>${http}</http_port>
  <tcp_port>${tcp}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>${dir}/users.xml</users_config>
  <mark_cache_size>5368709120</mark_cache_size>
</yandex>
`;
}

const USERS_XML = `<?xml version="1.0"?>
<yandex>
  <profiles><default></default><readonly><readonly>1</readonly></readonly></profiles>
  <users>
    <default><password></password><networks><ip>::/0</ip></networks><profile>default</profile><quota>default</quota></default>
    <sluice><password>secret</password><networks><ip>::/0</ip></networks><profile>default</profile><quota>default</quota></sluice>
    <reader><password>secret</password><networks><ip>::/0</ip></networks><profile>readonly</profile><quota>default</quota></reader>
  </users>
  <quotas><default></default></quotas>
</yandex>
`;

let started: Promise<ClickhouseServer> | undefined;

/** The process's ClickHouse server, started on first call. */
export function clickhouseServer(): Promise<ClickhouseServer> {
  started ??= start();
  return started;
}

async function start(): Promise<ClickhouseServer> {
  try {
    await Deno.stat(BIN);
  } catch {
    throw new Error(
      `!!! ${BIN} is missing: install Debian's clickhouse-server package (apt-get install clickhouse-server) !!!`,
    );
  }
  const dir = await Deno.makeTempDir({ prefix: "sluice-ch-" });
  const http = freePort();
  const tcp = freePort();
  await Deno.writeTextFile(`${dir}/config.xml`, configXml(dir, http, tcp));
  await Deno.writeTextFile(`${dir}/users.xml`, USERS_XML);
  const child = new Deno.Command(BIN, {
    args: ["--config-file", `${dir}/config.xml`],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  child.unref(); // a benchmark's process ends when its work does; the unload handler stops the server
  globalThis.addEventListener("unload", () => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch { /* best effort */ }
  });
  const host = `127.0.0.1:${http}`;
  async function query(sql: string): Promise<Record<string, unknown>[]> {
    const select = /^\s*select\b/i.test(sql);
    const res = await fetch(`http://${host}/`, {
      method: "POST",
      body: select ? `${sql} FORMAT JSONEachRow` : sql,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`clickhouse: ${text}`);
    return select ? text.split("\n").filter(Boolean).map((l) => JSON.parse(l)) : [];
  }
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await query("SELECT 1");
      break;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`clickhouse-server did not answer on ${host}: ${e}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    host,
    query,
    async database() {
      const name = `sluice_ch_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
      await query(`CREATE DATABASE ${name}`);
      return {
        name,
        credentials: {
          protocol: "http",
          hosts: [host],
          username: "sluice",
          password: "secret",
          database: name,
        },
        drop: () => query(`DROP DATABASE IF EXISTS ${name}`).then(() => {}),
      };
    },
  };
}
