/**
 * `ctx.fetch`, performed by the server on behalf of user code: http(s) only, a timeout, redirects
 * followed by hand so every hop is checked, and (unless FUNCTIONS_ALLOW_PRIVATE_NETWORK) only public
 * addresses: a function must not reach loopback, private ranges (RFC 1918, RFC 4193), link-local or a
 * cloud metadata endpoint through the server (SSRF). Cloud metadata addresses stay blocked even then.
 *
 * Known limit: the name is resolved here and again by fetch(), so a DNS answer that changes between the
 * two (rebinding) is not caught; Deno's fetch cannot be pinned to a resolved address.
 */
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
  resolve?: (host: string) => Promise<string[]>;
  maxResponseBytes?: number;
  /** The setting named in the "non-public address" error (the webhook destination has its own). */
  privateNetworkSetting?: string;
}

const MAX_REDIRECTS = 5;

/** Thrown when a URL is refused; its message is what the user's function sees. */
export class FetchBlockedError extends Error {
  override name = "FetchBlockedError";
}

/** The host name has no address (yet): unlike a refusal, trying again later may work. */
export class UnresolvedHostError extends FetchBlockedError {
  override name = "UnresolvedHostError";
}

function ipv4Parts(ip: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return null;
  const p = m.slice(1).map(Number);
  return p.every((n) => n <= 255) ? p : null;
}

function isPrivateV4([a, b, c]: number[]): boolean {
  return a === 0 || a === 10 || a === 127 || a >= 224 || // this-net, RFC 1918, loopback, multicast+reserved
    (a === 100 && b >= 64 && b <= 127) || // RFC 6598 carrier-grade NAT
    (a === 169 && b === 254) || // link-local (metadata)
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && c === 0) || // RFC 6890 IETF protocol assignments
    (a === 198 && (b === 18 || b === 19)); // RFC 2544 benchmarking
}

/** Expands an IPv6 address to 8 groups, or null if it is not one. */
function ipv6Groups(ip: string): number[] | null {
  let s = ip.toLowerCase().replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  if (!s.includes(":")) return null;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const p = ipv4Parts(v4[1]);
    if (!p) return null;
    s = s.slice(0, -v4[1].length) +
      `${((p[0] << 8) | p[1]).toString(16)}:${((p[2] << 8) | p[3]).toString(16)}`;
  }
  const [head, tail, extra] = s.split("::");
  if (extra !== undefined) return null;
  const h = head ? head.split(":") : [];
  const t = tail !== undefined ? (tail ? tail.split(":") : []) : null;
  const groups = t === null ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return groups.map((g) => parseInt(g, 16));
}

/**
 * Whether an IP literal is a cloud metadata endpoint: all of link-local 169.254.0.0/16 (AWS, GCP, Azure
 * and others serve metadata there), Alibaba's 100.100.100.200 and AWS's fd00:ec2::254, also when written
 * as IPv4-mapped/compatible or NAT64 IPv6 (::ffff:169.254.169.254, ::ffff:a9fe:a9fe).
 */
export function isMetadataAddress(ip: string): boolean {
  const v4 = ipv4Parts(ip) ?? embeddedV4(ipv6Groups(ip));
  if (v4) return (v4[0] === 169 && v4[1] === 254) || v4.join(".") === "100.100.100.200";
  const g = ipv6Groups(ip);
  return g !== null && g.join(":") === [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254].join(":");
}

/** The IPv4 address inside an IPv4-mapped, IPv4-compatible or NAT64 (RFC 6052) IPv6 address. */
function embeddedV4(g: number[] | null): number[] | null {
  if (!g) return null;
  const mapped = g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0);
  if (!mapped && !(g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0))) return null;
  return [g[6] >> 8, g[6] & 255, g[7] >> 8, g[7] & 255];
}

/** Whether an IP literal is outside the public internet (or not an IP at all: refused to be safe). */
export function isNonPublicAddress(ip: string): boolean {
  const v4 = ipv4Parts(ip);
  if (v4) return isPrivateV4(v4);
  const g = ipv6Groups(ip);
  if (!g) return true;
  if (g.every((x) => x === 0)) return true; // ::
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return true; // ::1
  const embedded = [g[6] >> 8, g[6] & 255, g[7] >> 8, g[7] & 255];
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) return isPrivateV4(embedded);
  if (g[0] === 0x64 && g[1] === 0xff9b) return isPrivateV4(embedded); // NAT64 (RFC 6052)
  if ((g[0] & 0xfe00) === 0xfc00) return true; // unique local fc00::/7
  if ((g[0] & 0xffc0) === 0xfe80) return true; // link-local fe80::/10
  if ((g[0] & 0xff00) === 0xff00) return true; // multicast
  if (g[0] === 0x2001 && g[1] === 0x0db8) return true; // documentation
  return false;
}

async function defaultResolve(host: string): Promise<string[]> {
  const [a, aaaa] = await Promise.allSettled([
    Deno.resolveDns(host, "A"),
    Deno.resolveDns(host, "AAAA"),
  ]);
  return [...(a.status === "fulfilled" ? a.value : []), ...(aaaa.status === "fulfilled" ? aaaa.value : [])];
}

/** Throws FetchBlockedError unless `url` may be fetched under `opts`. */
export async function checkUrl(url: URL, opts: GuardOptions): Promise<void> {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new FetchBlockedError(`Cannot fetch ${url.protocol} URLs: only http and https are allowed`);
  }
  if (url.username || url.password) {
    throw new FetchBlockedError("Cannot fetch a URL with credentials in it: send an Authorization header");
  }
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const literal = ipv4Parts(host) !== null || ipv6Groups(host) !== null;
  const addresses = literal ? [host] : await (opts.resolve ?? defaultResolve)(host);
  if (addresses.length === 0) {
    throw new UnresolvedHostError(`Cannot fetch ${url.origin}: ${host} does not resolve`);
  }
  for (const ip of addresses) {
    if (isMetadataAddress(ip)) {
      throw new FetchBlockedError(`Cannot fetch ${url.origin}: cloud metadata endpoints are never allowed`);
    }
    if (!opts.allowPrivateNetwork && isNonPublicAddress(ip)) {
      throw new FetchBlockedError(
        `Cannot fetch ${url.origin}: ${host} is a non-public address (${ip}); ` +
          `set ${
            opts.privateNetworkSetting ?? "FUNCTIONS_ALLOW_PRIVATE_NETWORK"
          }=true to allow private networks`,
      );
    }
  }
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
    let url = new URL(rawUrl);
    let res: Response;
    let hops = 0;
    let current = { method, body: req.body as string | undefined };
    let headers = req.headers;
    while (true) {
      await checkUrl(url, opts);
      res = await fetch(url, { ...current, headers, redirect: "manual", signal });
      const location = res.headers.get("location");
      if (res.status < 300 || res.status >= 400 || !location) break;
      await res.body?.cancel();
      if (++hops > MAX_REDIRECTS) throw new FetchBlockedError(`Cannot fetch ${rawUrl}: too many redirects`);
      const next = new URL(location, url);
      // Credentials are for the origin they were given to (fetch spec, "HTTP-redirect fetch" step 13).
      if (next.origin !== url.origin) headers = withoutCredentials(headers);
      url = next;
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === "POST")) {
        current = { method: "GET", body: undefined };
      }
    }
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

function withoutCredentials(h: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!h) return h;
  return Object.fromEntries(
    Object.entries(h).filter(([k]) => !/^(authorization|cookie|proxy-authorization)$/i.test(k)),
  );
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

/**
 * Reads at most `limit` bytes of a response body and cancels the rest, so an endless (chunked) answer
 * is never buffered whole. `truncated` says whether bytes were left unread.
 */
export async function readBodyUpTo(
  res: Response,
  limit: number,
): Promise<{ text: string; truncated: boolean }> {
  if (!res.body) return { text: "", truncated: false };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      if (size + value.length > limit) {
        chunks.push(value.subarray(0, limit - size));
        size = limit;
        truncated = true;
        break;
      }
      chunks.push(value);
      size += value.length;
    }
  } finally {
    if (truncated) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
  const buf = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    buf.set(c, at);
    at += c.length;
  }
  return { text: new TextDecoder().decode(buf), truncated };
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
