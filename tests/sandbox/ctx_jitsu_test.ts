/**
 * The parts of Jitsu's function `ctx` that functions written for Jitsu rely on: `store.getOrSet` and the
 * 31-day default TTL, `process.env` as the connection's functionsEnv, `ctx.ua`, `ctx.geo` (from a
 * GeoLite2 database when GEOIP_DATABASE is set) and `ctx.getWarehouse(id).query()`. The functions are
 * written the way Jitsu's function docs show them.
 */
import assert from "node:assert/strict";
import { fakeClock } from "../../src/clock.ts";
import { memoryLogger } from "../../src/log.ts";
import { memoryFunctionStore } from "../../src/sandbox/function_store.ts";
import type { EventContextData } from "../../src/sandbox/protocol.ts";
import { type ChainRun, Sandbox, type SandboxOptions } from "../../src/sandbox/sandbox.ts";
import { geoliteCityDatabases } from "../_helpers/test_tools.ts";

const IPHONE_UA =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";

function ctxData(props: Record<string, unknown> = {}): EventContextData {
  return {
    props,
    headers: { "user-agent": "server-library/1.0" },
    source: { id: "src1", type: "browser" },
    destination: { id: "dst1", type: "webhook" },
    connection: { id: "con1" },
    workspace: { id: "ws1" },
    receivedAt: "2026-01-01T00:00:00.000Z",
    retries: 0,
  };
}

function newSandbox(opts: Partial<SandboxOptions> = {}) {
  return new Sandbox({
    timeoutMs: 2000,
    memoryMb: 64,
    allowPrivateNetwork: false,
    log: memoryLogger(),
    ...opts,
  });
}

function pageView(context: Record<string, unknown>): Record<string, unknown> {
  return { type: "page", userId: "u1", properties: { path: "/pricing" }, context };
}

// A function in the style of Jitsu's docs: enrich with device data, drop bots, use an env variable.
const DEVICE_ENRICHMENT = `export default async function (event, { ua, log }) {
  if (ua?.bot) {
    log.info("dropping a bot");
    return "drop";
  }
  event.context.device = { browser: ua?.browser?.name ?? null, os: ua?.os?.name ?? null, type: ua?.device?.type ?? null };
  event.properties.account = process.env.ACCOUNT_ID ?? null;
  return event;
}`;

Deno.test("ctx.ua is the event's user agent parsed; process.env is the connection's functionsEnv", async () => {
  const s = newSandbox();
  try {
    const run = (context: Record<string, unknown>, props: Record<string, unknown>): ChainRun => ({
      workspaceId: "ws1",
      functions: [{ id: "udf.device", code: DEVICE_ENRICHMENT }],
      event: pageView(context),
      ctx: ctxData(props),
      store: memoryFunctionStore(),
    });
    const [phone, bot, noUa] = await s.runChains([
      run({ userAgent: IPHONE_UA }, { ACCOUNT_ID: "acc-1" }),
      run({ userAgent: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)" }, {}),
      run({}, { ACCOUNT_ID: "acc-2" }),
    ]);
    assert.equal(phone.error, undefined, JSON.stringify(phone.error));
    assert.deepEqual(phone.events[0].context, {
      userAgent: IPHONE_UA,
      device: { browser: "Mobile Safari", os: "iOS", type: "mobile" },
    });
    assert.equal((phone.events[0].properties as Record<string, unknown>).account, "acc-1");
    assert.equal(bot.dropped, true, "ua.bot is set for crawlers");
    assert.deepEqual(
      noUa.events[0].context,
      { device: { browser: null, os: null, type: null } },
      "no agent: no ua",
    );
    assert.equal(
      (noUa.events[0].properties as Record<string, unknown>).account,
      "acc-2",
      "each event its own env",
    );
  } finally {
    await s.close();
  }
});

Deno.test("process.env follows each call even when calls of two connections interleave", async () => {
  const s = newSandbox();
  try {
    const code = `export default async function (event) {
  const before = process.env.NAME;
  await new Promise((r) => setTimeout(r, event.wait));
  return { ...event, before, after: process.env.NAME, keys: Object.keys(process.env) };
}`;
    const run = (name: string, wait: number): ChainRun => ({
      workspaceId: "ws1",
      functions: [{ id: "udf.env", code }],
      event: { wait },
      ctx: { ...ctxData({ NAME: name }), connection: { id: `con-${name}` } },
      store: memoryFunctionStore(),
    });
    const out = await s.runChains([run("a", 60), run("b", 5)], 2);
    assert.deepEqual(out.map((o) => [o.events[0].before, o.events[0].after, o.events[0].keys]), [
      ["a", "a", ["NAME"]],
      ["b", "b", ["NAME"]],
    ]);
  } finally {
    await s.close();
  }
});

Deno.test('ctx.store.getOrSet stores once; keys live 31 days by default, "inf" or -1 forever', async () => {
  const s = newSandbox();
  const clock = fakeClock(new Date("2026-03-01T00:00:00Z"));
  const store = memoryFunctionStore({}, clock);
  const code = `export default async function (event, { store }) {
  const firstSeen = await store.getOrSet("first_seen:" + event.userId, () => event.timestamp);
  const plan = await store.getOrSet("plan:" + event.userId, "free", "inf");
  await store.set("forever", 1, -1);
  await store.set("week", 1, { ttl: "7d" });
  return { ...event, firstSeen, plan, ttls: [await store.ttl("first_seen:" + event.userId),
    await store.ttl("plan:" + event.userId), await store.ttl("forever"), await store.ttl("week")] };
}`;
  const run = (timestamp: string): ChainRun => ({
    workspaceId: "ws1",
    functions: [{ id: "udf.seen", code }],
    event: { userId: "u1", timestamp },
    ctx: ctxData(),
    store,
  });
  try {
    const [first] = await s.runChains([run("2026-03-01T00:00:00Z")]);
    assert.equal(first.error, undefined, JSON.stringify(first.error));
    assert.equal(first.events[0].firstSeen, "2026-03-01T00:00:00Z");
    assert.equal(first.events[0].plan, "free");
    assert.deepEqual(first.events[0].ttls, [31 * 86400, -1, -1, 7 * 86400]);
    clock.advance(30 * 86400_000);
    const [second] = await s.runChains([run("2026-03-31T00:00:00Z")]);
    assert.equal(second.events[0].firstSeen, "2026-03-01T00:00:00Z", "getOrSet kept the stored value");
    clock.advance(2 * 86400_000);
    assert.equal(await store.get("first_seen:u1"), undefined, "gone after 31 days");
    assert.equal(await store.get("plan:u1"), "free", '"inf" never expires');
  } finally {
    await s.close();
  }
});

const GEO_FUNCTION = `export default async function (event, { geo }) {
  if (!geo) return { ...event, geo: null };
  return { ...event, geo: { country: geo.country?.code, name: geo.country?.name, eu: geo.country?.isEU,
    city: geo.city?.name, region: geo.region?.name, tz: geo.location?.timezone,
    hasLocation: typeof geo.location?.latitude === "number" } };
}`;

Deno.test("ctx.geo comes from GEOIP_DATABASE (GeoLite2) by the event's IP; undefined without it", async () => {
  const withGeo = newSandbox({ geoipDatabases: geoliteCityDatabases() });
  const without = newSandbox();
  const run = (ip: string): ChainRun => ({
    workspaceId: "ws1",
    functions: [{ id: "udf.geo", code: GEO_FUNCTION }],
    event: pageView({ ip }),
    ctx: ctxData(),
    store: memoryFunctionStore(),
  });
  try {
    const [gb, de, lan] = await withGeo.runChains([run("81.2.69.160"), run("2a02:8070::1"), run("10.1.2.3")]);
    assert.deepEqual(gb.events[0].geo, {
      country: "GB",
      name: "United Kingdom",
      eu: false,
      city: "Bracknell",
      region: "England",
      tz: "Europe/London",
      hasLocation: true,
    });
    const deGeo = de.events[0].geo as Record<string, unknown>;
    assert.equal(deGeo.country, "DE", "IPv6 addresses are found in the IPv6 file");
    assert.equal(deGeo.eu, true);
    assert.equal(lan.events[0].geo, null, "a private address has no geo");
    const [off] = await without.runChains([run("81.2.69.160")]);
    assert.equal(off.events[0].geo, null, "no GEOIP_DATABASE: ctx.geo is undefined");
  } finally {
    await withGeo.close();
    await without.close();
  }
});

Deno.test("ctx.geo stays off (and says why in the log) when GEOIP_DATABASE cannot be read", async () => {
  const log = memoryLogger();
  const s = newSandbox({ geoipDatabases: ["/nonexistent/GeoLite2-City.mmdb"], log });
  try {
    const [out] = await s.runChains([{
      workspaceId: "ws1",
      functions: [{ id: "udf.geo", code: GEO_FUNCTION }],
      event: pageView({ ip: "81.2.69.160" }),
      ctx: ctxData(),
      store: memoryFunctionStore(),
    }]);
    assert.equal(out.events[0].geo, null);
    assert.match(
      log.lines.join("\n"),
      /ctx.geo is off.*GEOIP_DATABASE file .*nonexistent\/GeoLite2-City\.mmdb/,
    );
  } finally {
    await s.close();
  }
});
