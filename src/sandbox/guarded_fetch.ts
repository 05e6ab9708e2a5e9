/**
 * `ctx.fetch`, performed by the server on behalf of user code: a timeout, a size limit, the request in
 * the function's logs (secret-looking headers masked), and the URL and every redirect hop checked by
 * src/net/checked_fetch.ts: unless FUNCTIONS_ALLOW_PRIVATE_NETWORK, only public addresses, so a function
 * cannot reach loopback, private ranges or a cloud metadata endpoint through the server (SSRF).
 */
import { checkedFetch } from "../net/checked_fetch.ts";
import { readBodyUpTo } from "../net/read_body.ts";
import type { Resolver } from "../net/resolve.ts";
import { FetchBlockedError } from "../net/url_guard.ts";
import type { FunctionLog } from "./protocol.ts";

export interface FetchRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface FetchReply {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: string;
}

export interface GuardOptions {
  allowPrivateNetwork: boolean;
  timeoutMs: number;
  /** Test seam: resolves a host name to addresses. */
  resolve?: Resolver;
  maxResponseBytes?: number;
  /** Test seam: the fetch that performs each hop. */
  fetch?: typeof fetch;
}

const SECRET_HEADER = /authorization|token|secret|api[-_]?key|cookie|password/i;

function maskHeaders(h: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, SECRET_HEADER.test(k) ? "*****" : v]));
}

/**
 * Performs the request and returns the reply plus an `http` log entry for the function's logs
 * (headers that look secret are masked, the response is cut to 1000 characters as Jitsu does).
 */
export async function guardedFetch(
  rawUrl: string,
  req: FetchRequest,
  functionId: string,
  opts: GuardOptions,
): Promise<{ reply?: FetchReply; error?: string; log: FunctionLog }> {
  const started = performance.now();
  const method = (req.method ?? "GET").toUpperCase();
  const data: Record<string, unknown> = { method, url: rawUrl, headers: maskHeaders(req.headers) };
  const signal = AbortSignal.timeout(opts.timeoutMs);
  try {
    const res = await checkedFetch(rawUrl, { method, headers: req.headers, body: req.body, signal }, {
      allowPrivateNetwork: opts.allowPrivateNetwork,
      resolve: opts.resolve,
      fetch: opts.fetch,
      privateNetworkSetting: "FUNCTIONS_ALLOW_PRIVATE_NETWORK",
    });
    const body = await readLimited(res, opts.maxResponseBytes ?? 5 * 1024 * 1024);
    const reply = { status: res.status, statusText: res.statusText, headers: [...res.headers], body };
    const elapsedMs = Math.round(performance.now() - started);
    Object.assign(data, {
      status: res.status,
      statusText: res.statusText,
      elapsedMs,
      response: body.slice(0, 1000),
    });
    return { reply, log: httpLog(functionId, res.status >= 400 ? "warn" : "info", data) };
  } catch (e) {
    const err = e as Error;
    const message = signal.aborted
      ? `Cannot fetch ${rawUrl}: no answer within ${opts.timeoutMs} ms`
      : err instanceof FetchBlockedError
      ? err.message
      : `Cannot fetch ${rawUrl}: ${err.message}`;
    Object.assign(data, { error: message, elapsedMs: Math.round(performance.now() - started) });
    return { error: message, log: httpLog(functionId, "error", data) };
  }
}

async function readLimited(res: Response, limit: number): Promise<string> {
  const len = Number(res.headers.get("content-length") ?? "0");
  if (len > limit) {
    await res.body?.cancel();
    throw new Error(`response is larger than ${limit} bytes`);
  }
  const { text, truncated } = await readBodyUpTo(res, limit);
  if (truncated) throw new Error(`response is larger than ${limit} bytes`);
  return text;
}

function httpLog(
  functionId: string,
  level: FunctionLog["level"],
  data: Record<string, unknown>,
): FunctionLog {
  return {
    level,
    type: "http",
    functionId,
    message: `${data.method} ${data.url}${data.status !== undefined ? ` -> ${data.status}` : ""}`,
    timestamp: new Date().toISOString(),
    data,
  };
}
