import { parseIp } from "./address.ts";

/** Resolves a host name to addresses; callers take it as an option so tests need no real DNS. */
export type Resolver = (host: string) => Promise<string[]>;

/** All A and AAAA answers for `host` (an IP literal answers itself); none when the name does not resolve. */
export async function resolveHost(host: string): Promise<string[]> {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  if (parseIp(bare)) return [bare];
  const [a, aaaa] = await Promise.allSettled([Deno.resolveDns(bare, "A"), Deno.resolveDns(bare, "AAAA")]);
  // NXDOMAIN or no record of one type: the other type may still answer.
  return [...(a.status === "fulfilled" ? a.value : []), ...(aaaa.status === "fulfilled" ? aaaa.value : [])];
}
