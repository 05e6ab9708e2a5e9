/**
 * The `s3` destination (AWS S3 and S3-compatible services: R2, MinIO, GCS interoperability): each
 * batch becomes one file per table (`$table` from a function, else `events`) under `folder`, in
 * `format` and `compression` (files.ts), named by time plus a random part (objectKey). Batch mode
 * only, as in Jitsu: a file per event would be useless to read back.
 */
import { type Clock, systemClock } from "../../clock.ts";
import { AppError } from "../../errors.ts";
import type { Resolver } from "../../net/resolve.ts";
import type { DestinationDriver, WriteResult } from "../driver.ts";
import { sameResultForAll } from "../driver.ts";
import { errorMessage } from "../warehouse/client.ts";
import type { BulkerBatchEntry } from "../warehouse/types.ts";
import type { BatchStatusSink } from "../warehouse/warehouse_driver.ts";
import { S3Client } from "./client.ts";
import { parseS3Credentials, type S3Credentials } from "./credentials.ts";
import { fileBytes, fileRows, fileText, objectKey, rowTexts, tableOf } from "./files.ts";
import { testS3Connection } from "./test_connection.ts";

export interface S3DriverOptions {
  clock?: Clock;
  onBatch?: BatchStatusSink;
  allowPrivateNetwork?: boolean;
  resolve?: Resolver;
}

/** Files of one batch (one per table) written at once. */
const FILES_AT_ONCE = 2;

const CONTENT_TYPE = { ndjson: "application/x-ndjson", ndjson_flat: "application/x-ndjson", csv: "text/csv" };

/**
 * Writes one file of `events` and says where it went. `eventText(i)` is event i's JSON text when the
 * pipeline has it (WriteBatch.eventText): ndjson lines are then taken from it as they are.
 */
export async function writeFile(
  client: S3Client,
  creds: S3Credentials,
  table: string,
  events: Record<string, unknown>[],
  now: Date,
  eventText?: (i: number) => string | undefined,
): Promise<{ key: string; rows: Record<string, unknown>[]; bytes: number }> {
  const rows = fileRows(events, creds.format);
  const texts = creds.format === "ndjson" ? rowTexts(events, rows, eventText) : undefined;
  const body = await fileBytes(fileText(rows, creds.format, texts), creds.compression);
  const key = objectKey({
    folder: creds.folder,
    table,
    now,
    format: creds.format,
    compression: creds.compression,
  });
  await client.put(key, body, {
    "content-type": CONTENT_TYPE[creds.format],
    ...(creds.compression === "gzip" ? { "content-encoding": "gzip" } : {}),
  });
  return { key, rows, bytes: body.length };
}

/** The S3 driver: a client per destination, dropped when its credentials change. */
export function s3Driver(options: S3DriverOptions = {}): DestinationDriver {
  const clients = new Map<string, { key: string; client: S3Client }>();
  const net = { allowPrivateNetwork: options.allowPrivateNetwork ?? true, resolve: options.resolve };
  const clock = options.clock ?? systemClock;

  function clientFor(id: string, creds: S3Credentials): S3Client {
    const key = JSON.stringify(creds);
    let c = clients.get(id);
    if (!c || c.key !== key) {
      // Signatures carry the real time (S3 refuses a skew over 15 minutes); the clock names files.
      c = { key, client: new S3Client(creds, net) };
      clients.set(id, c);
    }
    return c.client;
  }

  return {
    type: "s3",
    modes: ["batch"],
    logsBatches: options.onBatch !== undefined,
    async write(batch) {
      if (batch.signal.aborted) {
        return sameResultForAll(batch, {
          status: "FAILED",
          error: "Write aborted: server shutting down",
          retryable: true,
        });
      }
      let creds: S3Credentials;
      try {
        creds = parseS3Credentials(batch.destination.credentials);
      } catch (e) {
        return sameResultForAll(batch, {
          status: "FAILED",
          error: errorMessage(e),
          retryable: !(e instanceof AppError),
        });
      }
      const client = clientFor(batch.destination.id, creds);
      const groups = new Map<string, number[]>();
      batch.events.forEach((e, i) => {
        const t = tableOf(e);
        const list = groups.get(t);
        if (list) list.push(i);
        else groups.set(t, [i]);
      });
      const results: WriteResult[] = new Array(batch.events.length);
      const tables = [...groups];
      const entries: BulkerBatchEntry[] = new Array(tables.length);
      async function writeTable(table: string, indexes: number[]): Promise<BulkerBatchEntry> {
        const started = clock.now();
        const events = indexes.map((i) => batch.events[i]);
        let error: string | undefined;
        let file: { key: string; rows: Record<string, unknown>[]; bytes: number } | undefined;
        try {
          const text = batch.eventText;
          file = await writeFile(client, creds, table, events, started, text && ((n) => text(indexes[n])));
        } catch (e) {
          error = `Cannot write ${events.length} events to s3://${creds.bucket}: ${errorMessage(e)}`;
        }
        const name = file ? client.location(file.key) : `s3://${creds.bucket}/${creds.folder}`;
        const representation = { name, schema: {} };
        indexes.forEach((i, n) => {
          results[i] = error
            ? { status: "FAILED", error, retryable: true, target: name }
            : { status: "SUCCESS", target: name, mappedData: file!.rows[n], representation };
        });
        return {
          representation,
          status: error ? "FAILED" : "COMPLETED",
          mode: "batch",
          ...(error ? { error } : {}),
          processedRows: events.length,
          processedBytes: file?.bytes ?? 0,
          successfulRows: error ? 0 : events.length,
          processingTimeSec: (clock.now().getTime() - started.getTime()) / 1000,
        };
      }
      // Files of several tables go FILES_AT_ONCE at a time: one is encoded while another is sent.
      let next = 0;
      async function lane() {
        while (next < tables.length) {
          const t = next++;
          entries[t] = await writeTable(...tables[t]);
        }
      }
      await Promise.all(Array.from({ length: Math.min(FILES_AT_ONCE, tables.length) }, lane));
      if (options.onBatch && entries.length) {
        try {
          await options.onBatch(entries, batch);
        } catch (e) {
          batch.log.warn("Cannot record bulker_batch status", { error: errorMessage(e) });
        }
      }
      return results;
    },
    async test(credentials) {
      const r = await testS3Connection(credentials, net);
      return r.ok ? { ok: true } : { ok: false, error: r.error };
    },
    close() {
      clients.clear();
      return Promise.resolve();
    },
  };
}
