import { oneOf, optText, text, textWithDefault } from "../base.ts";
import { warehouseOptions } from "./options.ts";
import type { DestinationType } from "./types.ts";

export const s3: DestinationType = {
  id: "s3",
  title: "Amazon S3",
  description:
    "Writes batches of events as files (ndjson, flat ndjson or csv, gzip or not) to an S3 bucket or " +
    "an S3-compatible service (R2, MinIO, GCS interoperability) through `endpoint`. Access keys only.",
  tags: ["storage"],
  credentials: {
    authenticationMethod: oneOf(
      ["accessKey", "iam"],
      "Access keys. `iam` (assuming a role) is stored but refused on delivery: Sluice signs with access keys only.",
      "accessKey",
    ),
    region: textWithDefault("AWS region.", "us-west-1"),
    accessKeyId: optText("Access key id (accessKey authentication).", { max: 255 }),
    secretAccessKey: optText("Secret access key (accessKey authentication).", { max: 1000 }),
    roleARN: optText("Role to assume (iam authentication).", { max: 2048 }),
    bucket: text("Bucket name.", { max: 255 }),
    endpoint: optText("Endpoint URL of an S3-compatible service (MinIO, R2, ...).", { max: 2048 }),
    folder: optText("Folder (key prefix) inside the bucket.", { max: 1024 }),
    format: oneOf(["ndjson", "ndjson_flat", "csv"], "File format.", "ndjson"),
    compression: oneOf(["gzip", "none"], "File compression.", "gzip"),
  },
  secrets: [{ path: "secretAccessKey" }],
  connectionOptions: warehouseOptions({ deduplicate: false, streamMode: false }),
  deliverable: true,
};
