/**
 * Opens the warehouse a sync run writes to: postgres and mysql through the warehouse core's clients,
 * ClickHouse through its HTTP client (src/destinations/clickhouse/client.ts), which the same core
 * drives. On ClickHouse an incremental stream with a primary key becomes a `ReplacingMergeTree`
 * ordered by that key: a re-sent row replaces the old one when parts merge, and reads that must not
 * see duplicates use `FINAL`. ClickHouse has no transactions; each flush is one INSERT per table
 * (atomic on its own), so a state is still saved only after the INSERTs it covers returned.
 */
import type { Config } from "../config.ts";
import { clickhouseClient, onCluster } from "../destinations/clickhouse/client.ts";
import { parseClickhouseCredentials } from "../destinations/clickhouse/credentials.ts";
import type { WarehouseClient } from "../destinations/warehouse/client.ts";
import { parseMysqlCredentials, parsePostgresCredentials } from "../destinations/warehouse/credentials.ts";
import { openWarehouseClient } from "../destinations/warehouse/test_connection.ts";
import { isSyncDestinationType, SYNC_DESTINATION_TYPES } from "./destination_types.ts";

/** An opened destination and how a full refresh empties one of its tables. */
export interface SyncDestination {
  client: WarehouseClient;
  /** The statement that removes every row of a table (`qualified`: as client.table() names it). */
  truncateSql(qualified: string): string;
}

/**
 * Opens the destination `dest` (its decrypted config: `destinationType` and credentials fields).
 * Throws a message naming the type when syncs cannot write to it.
 */
export async function openSyncDestination(
  config: Pick<Config, "destinationsAllowPrivateNetwork">,
  dest: Record<string, unknown>,
): Promise<SyncDestination> {
  const type = dest.destinationType;
  if (!isSyncDestinationType(type)) {
    throw new Error(`a sync writes to ${SYNC_DESTINATION_TYPES.join(", ")}, not ${type}`);
  }
  if (type === "clickhouse") {
    const creds = parseClickhouseCredentials(dest);
    const client = await clickhouseClient(creds, {
      allowPrivateNetwork: config.destinationsAllowPrivateNetwork,
    });
    // TRUNCATE works on (Replacing)MergeTree from 18.16 on; on a cluster every replica must empty it.
    return { client, truncateSql: (t) => `TRUNCATE TABLE ${t}${onCluster(creds.cluster)}` };
  }
  const client = type === "postgres"
    ? await openWarehouseClient("postgres", parsePostgresCredentials(dest), { max: 2 })
    : await openWarehouseClient("mysql", parseMysqlCredentials(dest), { max: 2 });
  // TRUNCATE: far faster than DELETE on a big table; it is a statement of its own (MySQL commits it).
  return { client, truncateSql: (t) => `truncate table ${t}` };
}
