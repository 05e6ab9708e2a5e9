/**
 * The check every server-side fetch for someone else makes before connecting: http(s) only, no
 * credentials in the URL, and every address the host resolves to allowed by src/net/address.ts. One
 * non-public answer among several refuses the URL, so a name cannot smuggle in a private address.
 */
import { classifyAddress, parseIp } from "./address.ts";
import { resolveHost, type Resolver } from "./resolve.ts";

export interface UrlGuardOptions {
  /** Lets loopback and private ranges through; cloud metadata endpoints stay refused. */
  allowPrivateNetwork: boolean;
  /** Resolves a host name (default: DNS A and AAAA). */
  resolve?: Resolver;
  /** The setting that allows private networks, named in the refusal so the operator knows the way out. */
  privateNetworkSetting?: string;
}

/** Thrown when a URL is refused; `reason` says which address and why, `message` adds the target. */
export class FetchBlockedError extends Error {
  override name = "FetchBlockedError";
  constructor(readonly target: string, readonly reason: string) {
    super(`Cannot fetch ${target}: ${reason}`);
  }
}

/** The host name has no address (yet): unlike a refusal, trying again later may work. */
export class UnresolvedHostError extends FetchBlockedError {
  override name = "UnresolvedHostError";
}

/** Throws FetchBlockedError unless `url` may be fetched under `opts`; returns the addresses checked. */
export async function checkUrl(url: URL, opts: UrlGuardOptions): Promise<string[]> {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new FetchBlockedError(`${url.protocol} URLs`, "only http and https are allowed");
  }
  if (url.username || url.password) {
    throw new FetchBlockedError("a URL with credentials in it", "send an Authorization header");
  }
  // WHATWG URL parsing has already turned "2130706433", "0177.0.0.1" and "0x7f.1" into 127.0.0.1.
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const literal = parseIp(host) !== null;
  const addresses = literal ? [host] : await (opts.resolve ?? resolveHost)(host);
  if (addresses.length === 0) {
    throw new UnresolvedHostError(url.origin, `${host} does not resolve`);
  }
  for (const ip of addresses) {
    const verdict = classifyAddress(ip);
    // A literal host is the address itself; for a name, say which of its answers was refused.
    const what = literal ? `${host} is` : `${host} resolves to`;
    const answer = literal ? "" : `${ip}: `;
    if (verdict.metadata) {
      throw new FetchBlockedError(
        url.origin,
        `${what} a cloud metadata address (${answer}${verdict.kind}); cloud metadata endpoints are never allowed`,
      );
    }
    if (verdict.public || (opts.allowPrivateNetwork && parseIp(ip))) continue;
    const wayOut = opts.privateNetworkSetting
      ? `; set ${opts.privateNetworkSetting}=true to allow private networks`
      : "";
    throw new FetchBlockedError(
      url.origin,
      `${what} a non-public address (${answer}${verdict.kind})${wayOut}`,
    );
  }
  return addresses;
}
