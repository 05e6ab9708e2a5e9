/**
 * The destination drivers the pipeline delivers with, by destination type. Types without a driver
 * (catalog entries that only describe a destination) fail their events without retry; they wait in the
 * dead letter and can be replayed once a driver exists.
 */
import type { Deps } from "../deps.ts";
import { apiDrivers } from "../destinations/apis/api_drivers.ts";
import { clickhouseDriver } from "../destinations/clickhouse/driver.ts";
import { devnullDriver } from "../destinations/devnull.ts";
import type { DestinationDriver } from "../destinations/driver.ts";
import { mysqlDriver } from "../destinations/mysql.ts";
import { postgresDriver } from "../destinations/postgres.ts";
import { batchLogEntries } from "../destinations/warehouse/batch_log_entries.ts";
import type { BatchStatusSink } from "../destinations/warehouse/warehouse_driver.ts";
import { s3Driver } from "../destinations/s3/driver.ts";
import { webhookDriver } from "../destinations/webhook.ts";
import { appendEvents } from "../events_log/events_log.ts";

/** Drivers by destination type. */
export type DriverTable = Map<string, DestinationDriver>;

/** Every driver Sluice has; warehouse batch statuses go to Live Events as `bulker_batch` entries. */
export function defaultDrivers(deps: Pick<Deps, "db" | "clock" | "log" | "config">): DriverTable {
  const onBatch: BatchStatusSink = async function logBatches(entries, batch) {
    await appendEvents(deps.db, batchLogEntries(entries, batch))
      .catch((err) => deps.log.warn("cannot write bulker_batch entries", { error: err }));
  };
  const drivers = [
    webhookDriver({ allowPrivateNetwork: deps.config.destinationsAllowPrivateNetwork }),
    devnullDriver(),
    postgresDriver({ clock: deps.clock, onBatch }),
    mysqlDriver({ clock: deps.clock, onBatch }),
    ...apiDrivers({ allowPrivateNetwork: deps.config.destinationsAllowPrivateNetwork }),
    s3Driver({
      clock: deps.clock,
      onBatch,
      allowPrivateNetwork: deps.config.destinationsAllowPrivateNetwork,
    }),
    clickhouseDriver({
      clock: deps.clock,
      onBatch,
      allowPrivateNetwork: deps.config.destinationsAllowPrivateNetwork,
    }),
  ];
  return new Map(drivers.map((d) => [d.type, d]));
}
