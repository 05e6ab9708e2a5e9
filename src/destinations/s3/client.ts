/**
 * PUT and DELETE of objects on S3 or an S3-compatible service, signed with SigV4 (sigv4.ts). The
 * endpoint (or AWS's bucket host) is checked by src/net/url_guard.ts once per client: cloud metadata
 * never, private addresses only with DESTINATIONS_ALLOW_PRIVATE_NETWORK, plain http only to a private
 * host. Errors carry the service's own `<Code>` and `<Message>`.
 */
import { classifyAddress } from "../../net/address.ts";
import { readBodyUpTo } from "../../net/read_body.ts";
import type { Resolver } from "../../net/resolve.ts";
import { networkWords } from "../clickhouse/http.ts";
import { checkUrl, FetchBlockedError } from "../../net/url_guard.ts";
import type { S3Credentials } from "./credentials.ts";
import { sha256Hex, signRequest, uriEncode } from "./sigv4.ts";

export interface S3ClientOptions {
  allowPrivateNetwork: boolean;
  resolve?: Resolver;
  fetch?: typeof fetch;
  timeoutMs?: number;
  now?: () => Date;
}

/** A request the service refused (`code` is S3's error code, e.g. NoSuchBucket) or could not reach. */
export class S3Error extends Error {
  override name = "S3Error";
  constructor(message: string, readonly code: string, readonly status: number, readonly detail = message) {
    super(message);
  }
}

/**
 * Over https the body is not hashed into the signature (AWS's "unsigned payload" option for a single
 * chunk, what AWS's SDKs send over TLS): TLS already protects it, and hashing a 6 MB file cost 4-14 ms
 * on our machine. Over plain http (a private or loopback endpoint) the payload is signed.
 */
export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";

function xmlField(xml: string, name: string): string {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1] ?? "";
}

/** One bucket's client. */
export class S3Client {
  #checked: Promise<void> | null = null;

  constructor(readonly creds: S3Credentials, readonly options: S3ClientOptions) {}

  /** `s3://bucket/key`, for Live Events. */
  location(key: string): string {
    return `s3://${this.creds.bucket}/${key}`;
  }

  check(): Promise<void> {
    this.#checked ??= this.#check().catch((e) => {
      this.#checked = null;
      throw e;
    });
    return this.#checked;
  }

  async #check(): Promise<void> {
    const url = this.creds.base;
    let addresses: string[];
    try {
      addresses = await checkUrl(url, {
        allowPrivateNetwork: this.options.allowPrivateNetwork,
        resolve: this.options.resolve,
        privateNetworkSetting: "DESTINATIONS_ALLOW_PRIVATE_NETWORK",
      });
    } catch (e) {
      const why = e instanceof FetchBlockedError ? e.reason : String(e);
      throw new S3Error(`Cannot reach s3 at ${url.host}: ${why}`, "Blocked", 0);
    }
    if (url.protocol === "http:" && addresses.every((ip) => classifyAddress(ip).public)) {
      throw new S3Error(
        `Cannot reach s3 at ${url.host}: plain http is only allowed to a private or loopback endpoint; use https`,
        "Blocked",
        0,
      );
    }
  }

  async #send(
    method: "PUT" | "DELETE",
    key: string,
    body?: Uint8Array,
    headers: Record<string, string> = {},
  ) {
    await this.check();
    const base = this.creds.base;
    const url = new URL(`${base.origin}${base.pathname.replace(/\/$/, "")}/${uriEncode(key, true)}`);
    const signed = signRequest(this.creds, {
      method,
      url,
      headers,
      payloadHash: url.protocol === "https:" ? UNSIGNED_PAYLOAD : sha256Hex(body ?? new Uint8Array()),
      now: (this.options.now ?? (() => new Date()))(),
    });
    let res: Response;
    try {
      res = await (this.options.fetch ?? fetch)(url, {
        method,
        headers: signed,
        body: body as Uint8Array<ArrayBuffer> | undefined,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 60_000),
      });
    } catch (e) {
      throw new S3Error(`Cannot reach s3 at ${url.host}: ${networkWords(e)}`, "Network", 0);
    }
    if (res.ok) {
      await res.body?.cancel();
      return;
    }
    const { text } = await readBodyUpTo(res, 8192).catch(() => ({ text: "" }));
    const code = xmlField(text, "Code") || `HTTP ${res.status}`;
    const message = xmlField(text, "Message");
    const detail = `${code}${message ? `: ${message}` : ""} (HTTP ${res.status})`;
    throw new S3Error(`${method} ${this.location(key)} failed: ${detail}`, code, res.status, detail);
  }

  /** Writes an object. */
  put(key: string, body: Uint8Array, headers: Record<string, string>): Promise<void> {
    return this.#send("PUT", key, body, headers);
  }

  /** Deletes an object (S3 answers 204 whether or not it existed). */
  delete(key: string): Promise<void> {
    return this.#send("DELETE", key);
  }
}
