/**
 * AWS Signature Version 4 for S3 requests, over Web Crypto (AWS General Reference, "Create a signed
 * AWS API request"). One signature per file costs well under a millisecond (bench/_s3.ts prints it),
 * so no SDK or signing package is needed. `payloadHash` is the body's SHA-256, or `UNSIGNED-PAYLOAD`
 * (client.ts decides which).
 */

const enc = new TextEncoder();

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** SHA-256 of a body, as hex. */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? enc.encode(data) : data;
  return hex(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
}

async function hmac(key: Uint8Array | ArrayBuffer, data: string): Promise<ArrayBuffer> {
  const k = await crypto.subtle.importKey(
    "raw",
    key as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return await crypto.subtle.sign("HMAC", k, enc.encode(data));
}

// Signing keys by secret, day, region and service. A key holds for its whole day (AWS's SigV4 guide
// suggests caching it), and deriving it is four HMACs with a key import each: most of a signature's
// cost (0.7 ms of Web Crypto calls per request on our machine, 0.2 ms with the key cached). One entry
// per destination and day; the map starts again past SIGNING_KEYS_MAX.
const signingKeys = new Map<string, Promise<CryptoKey>>();
const SIGNING_KEYS_MAX = 64;

function signingKey(secret: string, day: string, region: string, service: string): Promise<CryptoKey> {
  const id = `${day}\n${region}\n${service}\n${secret}`;
  let key = signingKeys.get(id);
  if (!key) {
    if (signingKeys.size >= SIGNING_KEYS_MAX) signingKeys.clear();
    key = deriveSigningKey(secret, day, region, service);
    signingKeys.set(id, key);
    // A failed derivation is not kept.
    key.catch(() => signingKeys.delete(id));
  }
  return key;
}

async function deriveSigningKey(secret: string, day: string, region: string, service: string) {
  let k = await hmac(enc.encode(`AWS4${secret}`), day);
  k = await hmac(k, region);
  k = await hmac(k, service);
  k = await hmac(k, "aws4_request");
  return await crypto.subtle.importKey("raw", k, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
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
export async function signRequest(
  key: SigningKey,
  req: { method: string; url: URL; headers?: Record<string, string>; payloadHash: string; now: Date },
): Promise<Record<string, string>> {
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
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, await sha256Hex(canonical)].join("\n");
  const signing = signingKey(key.secretAccessKey, day, key.region, service);
  const signature = hex(await crypto.subtle.sign("HMAC", await signing, enc.encode(toSign)));
  delete headers.host; // fetch sets it from the URL
  return {
    ...headers,
    authorization:
      `AWS4-HMAC-SHA256 Credential=${key.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}
