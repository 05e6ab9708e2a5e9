import { AppError } from "../../errors.ts";
import { errorMessage, type WarehouseClient } from "../warehouse/client.ts";
import type { ConnectionTestResult } from "../warehouse/test_connection.ts";
import { clickhouseClient, onCluster } from "./client.ts";
import { type ClickhouseCredentials, parseClickhouseCredentials } from "./credentials.ts";
import type { ClickhouseHttpOptions } from "./http.ts";

/**
 * Checks that Sluice can write to ClickHouse: the credentials parse (native protocols are refused
 * here), the server answers and accepts the login, and a probe table can be created, written and
 * dropped in the database (ON CLUSTER when a cluster is set). Never throws.
 */
export async function testClickhouseConnection(
  input: unknown,
  options: ClickhouseHttpOptions,
): Promise<ConnectionTestResult> {
  let c: ClickhouseCredentials;
  try {
    c = parseClickhouseCredentials(input);
  } catch (e) {
    return { ok: false, step: "credentials", error: e instanceof AppError ? e.message : errorMessage(e) };
  }
  let client: WarehouseClient;
  try {
    client = await clickhouseClient(c, options);
  } catch (e) {
    return { ok: false, step: "connect", error: connectWords(c, e) };
  }
  const probe = `_sluice_connection_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  try {
    await client.createTable(probe, [["id", "text"]], ["id"]);
    await client.insert(client, probe, ["id"], [["x"]], null);
    await client.query(`DROP TABLE IF EXISTS ${client.table(probe)}${onCluster(c.cluster)}`);
    return { ok: true };
  } catch (e) {
    return {
      ok: false,
      step: "create_table",
      error: `Connected to clickhouse at ${c.urls[0].host} as "${c.username}", but cannot create tables in ` +
        `database "${c.database}": ${errorMessage(e)}`,
    };
  }
}

function connectWords(c: ClickhouseCredentials, e: unknown): string {
  const msg = errorMessage(e);
  return msg.startsWith("Cannot connect") ? msg : `Cannot connect to clickhouse at ${c.urls[0].host}: ${msg}`;
}
