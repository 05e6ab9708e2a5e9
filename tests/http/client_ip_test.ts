/** The client address rule (src/http/client_ip.ts) that ingest, the login throttle and registration share. */
import assert from "node:assert/strict";
import { Hono } from "hono";
import type { Deps } from "../../src/deps.ts";
import { clientIp, clientIpFrom, requestIp } from "../../src/http/client_ip.ts";
import type { AppEnv } from "../../src/http/env.ts";

const XFF = "x-forwarded-for";
const REAL = "x-real-ip";

// [what the row shows, request headers, socket address, TRUST_PROXY, expected address]
const CASES: [string, Record<string, string>, string | null, boolean, string | null][] = [
  ["socket address when nothing else is sent", {}, "192.0.2.10", false, "192.0.2.10"],
  ["X-Forwarded-For ignored without TRUST_PROXY", { [XFF]: "203.0.113.7" }, "10.0.0.1", false, "10.0.0.1"],
  ["X-Real-Ip ignored without TRUST_PROXY", { [REAL]: "203.0.113.8" }, "10.0.0.1", false, "10.0.0.1"],
  ["no socket and no trust: none", { [XFF]: "203.0.113.7" }, null, false, null],
  ["an empty socket address counts as none", {}, "", false, null],
  [
    "first hop of X-Forwarded-For with TRUST_PROXY",
    { [XFF]: "203.0.113.7, 10.0.0.1" },
    "10.0.0.2",
    true,
    "203.0.113.7",
  ],
  ["hop trimmed of spaces", { [XFF]: "  203.0.113.7  ,10.0.0.1" }, "10.0.0.2", true, "203.0.113.7"],
  ["IPv6 hop kept whole", { [XFF]: "2001:db8::1, 10.0.0.1" }, "10.0.0.2", true, "2001:db8::1"],
  [
    "X-Forwarded-For wins over X-Real-Ip",
    { [XFF]: "203.0.113.7", [REAL]: "203.0.113.8" },
    null,
    true,
    "203.0.113.7",
  ],
  ["X-Real-Ip when X-Forwarded-For is absent", { [REAL]: " 203.0.113.8 " }, "10.0.0.2", true, "203.0.113.8"],
  [
    "X-Real-Ip when the first hop is empty",
    { [XFF]: " , 10.0.0.1", [REAL]: "203.0.113.8" },
    null,
    true,
    "203.0.113.8",
  ],
  ["socket when the trusted headers are empty", { [XFF]: "", [REAL]: " " }, "10.0.0.2", true, "10.0.0.2"],
  ["socket when trusted but no header is sent", {}, "10.0.0.2", true, "10.0.0.2"],
  ["trusted, no header and no socket: none", {}, null, true, null],
];

for (const [what, headers, socket, trust, want] of CASES) {
  Deno.test(`clientIpFrom(): ${what}`, () => {
    assert.equal(clientIpFrom(new Headers(headers), socket, trust), want);
  });
}

// With TRUST_PROXY, limits key on the hop the outermost of TRUST_PROXY_HOPS proxies appended.
const LIMIT_HOP: [string, Record<string, string>, number, string][] = [
  ["one proxy: its hop after a made-up one", { [XFF]: "1.2.3.4, 203.0.113.7" }, 1, "203.0.113.7"],
  [
    "two proxies: the CDN's hop, not the CDN itself",
    { [XFF]: "1.2.3.4, 203.0.113.7, 198.51.100.1" },
    2,
    "203.0.113.7",
  ],
  ["a single hop is both first and last", { [XFF]: "203.0.113.7" }, 1, "203.0.113.7"],
  ["fewer hops than proxies: the leftmost", { [XFF]: "203.0.113.7" }, 3, "203.0.113.7"],
  ["empty hops are skipped", { [XFF]: "203.0.113.7, , " }, 1, "203.0.113.7"],
];

for (const [what, headers, fromRight, want] of LIMIT_HOP) {
  Deno.test(`clientIpFrom(..., {fromRight}): ${what}`, () => {
    assert.equal(clientIpFrom(new Headers(headers), "10.0.0.2", true, { fromRight }), want);
    assert.equal(
      clientIpFrom(new Headers(headers), "10.0.0.2", false, { fromRight }),
      "10.0.0.2",
      "untrusted",
    );
  });
}

/** An app whose one route answers what requestIp() and clientIp() say, with TRUST_PROXY as given. */
function echoApp(trustProxy: boolean) {
  const app = new Hono<AppEnv>();
  app.use(async function fakeDeps(c, next) {
    c.set("deps", { config: { trustProxy, trustProxyHops: 1 } } as unknown as Deps);
    await next();
  });
  app.get("/", (c) => c.json({ requestIp: requestIp(c), clientIp: clientIp(c) }));
  return app;
}

Deno.test("requestIp() and clientIp() read the socket from Deno.serve's remoteAddr and TRUST_PROXY from config", async () => {
  for (const [what, headers, socket, trust, want] of CASES) {
    const env = socket === null ? undefined : { remoteAddr: { hostname: socket } };
    const res = await echoApp(trust).request("/", { headers }, env);
    assert.equal(res.status, 200);
    const last = clientIpFrom(new Headers(headers), socket, trust, { fromRight: 1 });
    assert.deepEqual(await res.json(), { requestIp: want, clientIp: last ?? "unknown" }, what);
  }
});

Deno.test("requestIp() without deps on the context trusts no header", async () => {
  const app = new Hono<AppEnv>();
  app.get("/", (c) => c.json({ ip: requestIp(c) }));
  const res = await app.request("/", { headers: { [XFF]: "203.0.113.7" } }, {
    remoteAddr: { hostname: "10.0.0.1" },
  });
  assert.deepEqual(await res.json(), { ip: "10.0.0.1" });
});
