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
import { appendEvents, type EventLogEntry } from "../events_log/events_log.ts";

/** Drivers by destination type. */
export type DriverTable = Map<string, DestinationDriver>;

/** The entries of the chunk a driver call belongs to, by the call's WriteBatch ({@linkcode logBatchesInto}). */
const chunkEntries = new WeakMap<object, EventLogEntry[]>();

/**
 * Makes the `bulker_batch` entries of the driver call `batch` go into `entries`, the Live Events entries of
 * its chunk, which the chunk's commit appends (src/pipeline/process_batch.ts): one statement fewer a batch,
 * which the batch's queue rows waited for before their commit could start.
 */
export function logBatchesInto<T extends object>(batch: T, entries: EventLogEntry[]): T {
  chunkEntries.set(batch, entries);
  return batch;
}

/**
 * Every driver Sluice has; warehouse batch statuses go to Live Events as `bulker_batch` entries: with the
 * chunk's commit for a call of the pipeline's ({@linkcode logBatchesInto}), else appended at once.
 */
export function defaultDrivers(deps: Pick<Deps, "db" | "clock" | "log" | "config">): DriverTable {
  const onBatch: BatchStatusSink = async function logBatches(entries, batch) {
    const into = chunkEntries.get(batch);
    if (into) {
      into.push(...batchLogEntries(entries, batch));
      return;
    }
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
