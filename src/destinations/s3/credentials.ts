import * as v from "valibot";
import { ValidationError } from "../../errors.ts";
import { parseInput } from "../../validation.ts";

const text = v.pipe(v.string("must be a string"), v.minLength(1, "must not be empty"));

/** S3 credentials, Jitsu's field names (console destinations.tsx S3 options). */
export const S3CredentialsSchema = v.looseObject({
  authenticationMethod: v.optional(v.picklist(["accessKey", "iam"], "must be accessKey or iam"), "accessKey"),
  region: v.optional(text, "us-west-1"),
  accessKeyId: v.optional(v.string()),
  secretAccessKey: v.optional(v.string()),
  bucket: text,
  endpoint: v.optional(v.string()),
  folder: v.optional(v.string()),
  format: v.optional(
    v.picklist(["ndjson", "ndjson_flat", "csv"], "must be ndjson, ndjson_flat or csv"),
    "ndjson",
  ),
  compression: v.optional(v.picklist(["gzip", "none"], "must be gzip or none"), "gzip"),
});

export interface S3Credentials {
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
  /** Where objects go: `<base>/<key>`; path-style for a custom endpoint, virtual-hosted for AWS. */
  base: URL;
  /** Key prefix without leading or trailing slashes ("" for the bucket's root). */
  folder: string;
  format: "ndjson" | "ndjson_flat" | "csv";
  compression: "gzip" | "none";
}

function invalid(path: string, message: string): never {
  throw new ValidationError(`Invalid s3 credentials: ${path}: ${message}`, [{ path, message }]);
}

/**
 * Parses S3 credentials. Only access keys sign requests: `iam` (assuming a role) needs the AWS STS
 * flow Sluice does not have, so it is refused with the way out.
 */
export function parseS3Credentials(input: unknown): S3Credentials {
  const c = parseInput(S3CredentialsSchema, input, "Invalid s3 credentials");
  if (c.authenticationMethod === "iam") {
    invalid(
      "authenticationMethod",
      '"iam" (assuming a role) is not supported: use "accessKey" with an access key',
    );
  }
  if (!c.accessKeyId) invalid("accessKeyId", "required");
  if (!c.secretAccessKey) invalid("secretAccessKey", "required");
  if (!/^[a-z0-9][a-z0-9.\-_]{2,254}$/i.test(c.bucket)) invalid("bucket", "must be a bucket name");
  let base: URL;
  if (c.endpoint) {
    try {
      base = new URL(c.endpoint);
    } catch {
      invalid("endpoint", "must be an http(s) URL");
    }
    if (!["http:", "https:"].includes(base.protocol) || base.username || base.password || base.search) {
      invalid("endpoint", "must be an http(s) URL without credentials or query");
    }
    base = new URL(`${base.origin}${base.pathname.replace(/\/+$/, "")}/${encodeURIComponent(c.bucket)}`);
  } else {
    if (!/^[a-z0-9-]+$/.test(c.region)) invalid("region", "must be an AWS region such as us-east-1");
    base = new URL(`https://${c.bucket}.s3.${c.region}.amazonaws.com`);
  }
  return {
    region: c.region,
    accessKeyId: c.accessKeyId,
    secretAccessKey: c.secretAccessKey,
    bucket: c.bucket,
    base,
    folder: (c.folder ?? "").replace(/^\/+|\/+$/g, ""),
    format: c.format,
    compression: c.compression,
  };
}
