/**
 * AWS Signature Version 4 for S3 requests (AWS General Reference, "Create a signed AWS API request"),
 * with node:crypto's synchronous HMAC and SHA-256. Web Crypto's are asynchronous operations in Deno, and
 * the eleven of a signature (four HMACs for the signing key, each with a key import, then the canonical
 * request's hash and the signature) added 1-2 ms of waiting to a PUT on a loaded machine; a signature now
 * costs about 0.1-0.3 ms of CPU (bench/_s3_files.ts prints it) and the signing key is kept for its day.
 * `payloadHash` is the body's SHA-256, or `UNSIGNED-PAYLOAD` (client.ts decides which).
 */

import { createHash, createHmac } from "node:crypto";

/** SHA-256 of a body, as hex. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

function hmac(key: Uint8Array | string, data: string): Buffer {
  return createHmac("sha256", key).update(data).digest();
}

// Signing keys by secret, day, region and service: a key holds for its whole day (AWS's SigV4 guide
// suggests caching it), and deriving it is four of a signature's five HMACs. One entry per destination
// and day; the map starts again past SIGNING_KEYS_MAX.
const signingKeys = new Map<string, Buffer>();
const SIGNING_KEYS_MAX = 64;

function signingKey(secret: string, day: string, region: string, service: string): Buffer {
  const id = `${day}\n${region}\n${service}\n${secret}`;
  let k = signingKeys.get(id);
  if (!k) {
    if (signingKeys.size >= SIGNING_KEYS_MAX) signingKeys.clear();
    k = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), service), "aws4_request");
    signingKeys.set(id, k);
  }
  return k;
}

/** RFC 3986 encoding of a path segment or query part, as SigV4 wants it (`/` kept in paths). */
export function uriEncode(s: string, keepSlash = false): string {
  let out = encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  if (keepSlash) out = out.replaceAll("%2F", "/");
  return out;
}

export interface SigningKey {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** `s3`. */
  service?: string;
}

/**
 * Signs a request: returns the headers to send (host, x-amz-date, x-amz-content-sha256, authorization
 * and the ones given). `url` must already carry its final path (encoded) and query.
 */
export function signRequest(
  key: SigningKey,
  req: { method: string; url: URL; headers?: Record<string, string>; payloadHash: string; now: Date },
): Record<string, string> {
  const service = key.service ?? "s3";
  const amzDate = req.now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    ...Object.fromEntries(Object.entries(req.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v.trim()])),
    host: req.url.host,
    "x-amz-date": amzDate,
    "x-amz-content-sha256": req.payloadHash,
  };
  const names = Object.keys(headers).sort();
  const canonicalHeaders = names.map((n) => `${n}:${headers[n]}\n`).join("");
  const signedHeaders = names.join(";");
  const query = [...req.url.searchParams]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const canonical = [
    req.method,
    req.url.pathname,
    query,
    canonicalHeaders,
    signedHeaders,
    req.payloadHash,
  ].join("\n");
  const scope = `${day}/${key.region}/${service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonical)].join("\n");
  const signature = createHmac("sha256", signingKey(key.secretAccessKey, day, key.region, service))
    .update(toSign).digest("hex");
  delete headers.host; // fetch sets it from the URL
  return {
    ...headers,
    authorization:
      `AWS4-HMAC-SHA256 Credential=${key.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}
