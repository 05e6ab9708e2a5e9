/**
 * The shared part of the API stand-ins: a loopback HTTP server that records each request, answers
 * forced responses first (a 429 with Retry-After, a 503), then lets the API's own handler judge the
 * request as the real API documents it.
 */

/** A request as the stand-in saw it. */
export interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Headers;
  text: string;
  // deno-lint-ignore no-explicit-any
  json: any;
}

/** An answer: status, JSON body (or text) and headers. */
export interface Answer {
  status: number;
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

export interface StandIn {
  /** `http://127.0.0.1:<port>`: the driver's injected base URL, or the product's host setting. */
  url: string;
  /** Every request, forced ones included. */
  seen: Seen[];
  /** Answers given before the handler's, in order (each used once). */
  forced: Answer[];
  close(): Promise<void>;
}

function respond(a: Answer): Response {
  const headers = new Headers(a.headers);
  if (a.json !== undefined && !headers.has("content-type")) headers.set("content-type", "application/json");
  const body = a.status === 204 ? null : a.json !== undefined ? JSON.stringify(a.json) : a.text ?? "";
  return new Response(body, { status: a.status, headers });
}

/** Starts a stand-in whose `handler` answers what was not forced. */
export function startStandIn(handler: (req: Seen) => Answer): StandIn {
  const s: StandIn = { url: "", seen: [], forced: [], close: async () => {} };
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const u = new URL(req.url);
    const text = await req.text();
    let json: unknown = undefined;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    const seen: Seen = {
      method: req.method,
      path: u.pathname,
      query: u.searchParams,
      headers: req.headers,
      text,
      json,
    };
    s.seen.push(seen);
    const forced = s.forced.shift();
    return respond(forced ?? handler(seen));
  });
  s.url = `http://127.0.0.1:${server.addr.port}`;
  s.close = () => server.shutdown();
  return s;
}

/** The user and password of a Basic authorization header, or null. */
export function basicCredentials(h: Headers): [string, string] | null {
  const m = /^Basic\s+(.+)$/i.exec(h.get("authorization") ?? "");
  if (!m) return null;
  const plain = atob(m[1]);
  const i = plain.indexOf(":");
  return i < 0 ? null : [plain.slice(0, i), plain.slice(i + 1)];
}
