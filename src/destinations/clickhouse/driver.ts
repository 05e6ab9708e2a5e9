/**
 * The `clickhouse` destination: the warehouse core (src/destinations/warehouse/warehouse.ts: layouts,
 * flattening, schema evolution, bulker_stream/bulker_batch statuses) over ClickHouse's HTTP interface
 * (client.ts). Stream mode inserts each event as it comes; batch mode one INSERT per table and batch.
 */
import type { Clock } from "../../clock.ts";
import type { Resolver } from "../../net/resolve.ts";
import type { DestinationDriver } from "../driver.ts";
import { type BatchStatusSink, warehouseBackedDriver } from "../warehouse/warehouse_driver.ts";
import { clickhouseClient } from "./client.ts";
import { parseClickhouseCredentials } from "./credentials.ts";
import { testClickhouseConnection } from "./test_connection.ts";

export interface ClickhouseDriverOptions {
  clock?: Clock;
  onBatch?: BatchStatusSink;
  /** DESTINATIONS_ALLOW_PRIVATE_NETWORK: loopback and private hosts (and plain http to them). */
  allowPrivateNetwork?: boolean;
  /** Test seam for DNS. */
  resolve?: Resolver;
}

/** The ClickHouse driver: the warehouse core over ClickHouse's HTTP client, one client per destination. */
export function clickhouseDriver(options: ClickhouseDriverOptions = {}): DestinationDriver {
  const http = { allowPrivateNetwork: options.allowPrivateNetwork ?? true, resolve: options.resolve };
  return warehouseBackedDriver({
    type: "clickhouse",
    connect(credentials) {
      const creds = parseClickhouseCredentials(credentials);
      return { key: JSON.stringify(creds), open: () => clickhouseClient(creds, http) };
    },
    test: (credentials) => testClickhouseConnection(credentials, http),
  }, { clock: options.clock, onBatch: options.onBatch });
}
