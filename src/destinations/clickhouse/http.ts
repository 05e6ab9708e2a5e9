/**
 * ClickHouse's HTTP interface over fetch: statements in the body (or in `query` with the data in the
 * body for inserts), Basic authentication, the database as a URL parameter. Errors keep ClickHouse's
 * own text (`Code: 60. DB::Exception: Table ... doesn't exist`), since that is what an operator
 * searches for. Every host is checked by src/net/url_guard.ts once per client: cloud metadata never,
 * private addresses only with DESTINATIONS_ALLOW_PRIVATE_NETWORK, plain http only to a private host.
 */
import { classifyAddress } from "../../net/address.ts";
import { readBodyUpTo } from "../../net/read_body.ts";
import type { Resolver } from "../../net/resolve.ts";
import { checkUrl, FetchBlockedError } from "../../net/url_guard.ts";
import type { ClickhouseCredentials } from "./credentials.ts";

/** How a client reaches its servers; `resolve` and `fetch` are test seams. */
export interface ClickhouseHttpOptions {
  allowPrivateNetwork: boolean;
  resolve?: Resolver;
  fetch?: typeof fetch;
  /** Per request; a batch load of many rows takes a while on a busy server. */
  timeoutMs?: number;
}

/** A statement ClickHouse refused: its error code (ErrorCodes.cpp) and its own message. */
export class ClickhouseError extends Error {
  override name = "ClickhouseError";
  constructor(readonly code: number, message: string, readonly status: number) {
    super(message);
  }
}

/** The server could not be reached (refused, timed out, unresolvable, refused by the URL guard). */
export class ClickhouseConnectError extends Error {
  override name = "ClickhouseConnectError";
}

const MAX_ERROR_CHARS = 1000;

/** ClickHouse's error text without the 18.x decoration (`e.displayText() = `, `, e.what() = ...`). */
export function cleanError(body: string): { code: number; message: string } {
  let text = body.trim().replace(/^Code: (\d+), e\.displayText\(\) = /, "Code: $1. ");
  text = text.replace(/,? e\.what\(\) = DB::Exception\s*$/, "").trim();
  const code = Number(/^Code: (\d+)/.exec(text)?.[1] ?? 0);
  return { code, message: text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}...` : text };
}

/** Why a request did not get an answer, in words (fetch's own message hides the cause). */
export function networkWords(e: unknown): string {
  const cause = (e as { cause?: unknown })?.cause;
  const msg = (e instanceof Error ? e.message : String(e)) + (cause ? `: ${String(cause)}` : "");
  if (/refused/i.test(msg)) return "connection refused (is the server running, and are host and port right?)";
  if (e instanceof DOMException && e.name === "TimeoutError") return "timed out";
  if (/dns error|failed to lookup|name or service not known/i.test(msg)) return "host not found";
  if (/certificate|tls|handshake/i.test(msg)) return `TLS failed (${msg})`;
  return msg;
}

/** One destination's servers; `query()` runs a statement on the first host that answers. */
export class ClickhouseHttp {
  readonly #auth: string;
  #checked: Promise<void> | null = null;

  constructor(readonly creds: ClickhouseCredentials, readonly options: ClickhouseHttpOptions) {
    this.#auth = "Basic " + btoa(String.fromCharCode(...new TextEncoder().encode(
      `${creds.username}:${creds.password}`,
    )));
  }

  /** `host:port` of the first server, for messages. */
  get target(): string {
    return this.creds.urls[0].host;
  }

  /** Checks every host once (and again after a failure): see the module comment. */
  check(): Promise<void> {
    this.#checked ??= this.#check().catch((e) => {
      this.#checked = null;
      throw e;
    });
    return this.#checked;
  }

  async #check(): Promise<void> {
    for (const url of this.creds.urls) {
      let addresses: string[];
      try {
        addresses = await checkUrl(url, {
          allowPrivateNetwork: this.options.allowPrivateNetwork,
          resolve: this.options.resolve,
          privateNetworkSetting: "DESTINATIONS_ALLOW_PRIVATE_NETWORK",
        });
      } catch (e) {
        const why = e instanceof FetchBlockedError ? e.reason : networkWords(e);
        throw new ClickhouseConnectError(`Cannot connect to clickhouse at ${url.host}: ${why}`);
      }
      if (url.protocol === "http:" && addresses.every((ip) => classifyAddress(ip).public)) {
        throw new ClickhouseConnectError(
          `Cannot connect to clickhouse at ${url.host}: plain http is only allowed to a private or loopback ` +
            'host; set protocol to "https"',
        );
      }
    }
  }

  /**
   * Runs a statement; `data` is sent as the body with the statement in the URL (INSERT ... FORMAT).
   * A function gives a fresh body for each host tried (a stream can be sent once).
   */
  async query(
    sql: string,
    { data, signal, database = true }: {
      data?: string | Uint8Array<ArrayBuffer> | (() => BodyInit);
      signal?: AbortSignal;
      database?: boolean;
    } = {},
  ): Promise<string> {
    await this.check();
    const fetchFn = this.options.fetch ?? fetch;
    let lastError: unknown;
    for (const base of this.creds.urls) {
      const url = new URL(base);
      // Without it when the database may not exist yet (code 81 otherwise).
      if (database) url.searchParams.set("database", this.creds.database);
      if (data !== undefined) url.searchParams.set("query", sql);
      const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 60_000);
      let res: Response;
      try {
        res = await fetchFn(url, {
          method: "POST",
          headers: { authorization: this.#auth, "content-type": "text/plain; charset=utf-8" },
          body: data === undefined ? sql : typeof data === "function" ? data() : data,
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
      } catch (e) {
        lastError = new ClickhouseConnectError(
          `Cannot connect to clickhouse at ${base.host}: ${networkWords(e)}`,
        );
        continue; // the next host of a cluster may answer
      }
      if (res.ok) return await res.text();
      const { text } = await readBodyUpTo(res, 16_384).catch(() => ({ text: "" }));
      const { code, message } = cleanError(text || `HTTP ${res.status}`);
      throw new ClickhouseError(code, message, res.status);
    }
    throw lastError;
  }

  /** Runs a SELECT and returns its rows (JSONEachRow). */
  async select(sql: string, { database = true } = {}): Promise<Record<string, unknown>[]> {
    const text = await this.query(`${sql} FORMAT JSONEachRow`, { database });
    return text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
  }
}
