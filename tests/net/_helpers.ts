/**
 * Test seams for fetches that must look as if they went to public hosts while only loopback is used:
 * a resolver from a table, and a fetch that routes one public-looking host to a local server.
 */

/** A resolver answering from `table`; names not in it do not resolve. */
export function tableResolver(table: Record<string, string[]>): (host: string) => Promise<string[]> {
  return function resolve(host: string) {
    return Promise.resolve(table[host] ?? []);
  };
}

/**
 * A fetch that sends requests for `host` to 127.0.0.1:`port` (over http) and records every URL it was
 * asked for; any other host fails, so a hop the guard should have refused shows up in `asked`.
 */
export function routedFetch(host: string, port: number): { fetch: typeof fetch; asked: string[] } {
  const asked: string[] = [];
  function routed(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const url = new URL(input instanceof Request ? input.url : input);
    asked.push(url.href);
    if (url.hostname !== host) return Promise.reject(new TypeError(`test fetch: no route to ${url.host}`));
    url.protocol = "http:";
    url.hostname = "127.0.0.1";
    url.port = String(port);
    return fetch(url, init);
  }
  return { fetch: routed as typeof fetch, asked };
}
