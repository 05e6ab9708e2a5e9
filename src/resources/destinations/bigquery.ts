import { text } from "../base.ts";
import { warehouseOptions } from "./options.ts";
import type { DestinationType } from "./types.ts";

export const bigquery: DestinationType = {
  id: "bigquery",
  title: "Google BigQuery",
  description: "Loads events into BigQuery tables in batches.",
  tags: ["warehouse"],
  credentials: {
    project: text("Google Cloud project id.", { max: 255 }),
    bqDataset: text("Dataset the tables go into.", { max: 1024 }),
    keyFile: text("Service account key (the JSON file's content).", { max: 20_000 }),
  },
  secrets: [{ path: "keyFile" }],
  connectionOptions: warehouseOptions({ deduplicate: false, streamMode: false }),
  deliverable: false,
  notDeliverableReason:
    "Loading into BigQuery needs Google Cloud, which cannot be run or faithfully stood in for in Sluice's tests; load from an S3 or GCS batch file instead.",
};
