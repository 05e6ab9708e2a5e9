/**
 * The parts of Jitsu's `ctx` computed from the event on the server side, before a batch goes to the
 * runner: `ctx.ua` (the event's user agent parsed with ua-parser-js 1.x, the MIT line; its 2.x line is
 * AGPL) and `ctx.geo` (the event's IP looked up in a MaxMind-format database, when GEOIP_DATABASE is
 * set). Shapes follow Jitsu's `UserAgent` and `Geo` types.
 */
import maxmind, { type Reader, type Response } from "maxmind";
import UAParser from "ua-parser-js";

/** Jitsu's `ctx.ua`. */
export interface UserAgentInfo {
  browser: { name?: string; version?: string; major?: string };
  engine: { name?: string; version?: string };
  os: { name?: string; version?: string };
  device: { model?: string; type: string; vendor?: string };
  cpu: { architecture?: string };
  bot: boolean;
}

/** Jitsu's `ctx.geo` (the fields a city database has). */
export interface GeoInfo {
  continent?: { code: string };
  country?: { code: string; name: string; isEU: boolean };
  region?: { code: string; name?: string };
  city?: { name: string };
  postalCode?: { code: string };
  location?: { latitude: number; longitude: number; accuracyRadius?: number; timezone?: string };
}

const BOT_WORDS = ["bot", "spider", "headless", "crawler", "uptimia"];
const UA_CACHE_MAX = 10_000;
const uaCache = new Map<string, UserAgentInfo>();

/**
 * Parses a user agent as Jitsu's `ctx.ua`; undefined without one. Results are cached (10,000 agents) and
 * shared: callers only serialise them (to the runner), never change them.
 */
export function parseUserAgent(ua: unknown): UserAgentInfo | undefined {
  if (typeof ua !== "string" || ua === "") return undefined;
  const hit = uaCache.get(ua);
  if (hit) return hit;
  const r = new UAParser(ua).getResult();
  const lower = ua.toLowerCase();
  const info: UserAgentInfo = {
    browser: { ...r.browser },
    engine: { ...r.engine },
    os: { ...r.os },
    device: { ...r.device, type: r.device.type ?? "desktop" },
    cpu: { ...r.cpu },
    bot: BOT_WORDS.some((w) => lower.includes(w)),
  };
  if (uaCache.size >= UA_CACHE_MAX) uaCache.delete(uaCache.keys().next().value!);
  uaCache.set(ua, info);
  return info;
}

// The European Union's member states, for `country.isEU` when the database does not say.
const EU = new Set(
  "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split(" "),
);
// Made on first use: building it loads ICU's region names (about 20 ms), which a record that names its
// country in English never needs.
let regionNames: Intl.DisplayNames | null = null;

function countryName(code: string): string {
  try {
    regionNames ??= new Intl.DisplayNames(["en"], { type: "region" });
    return regionNames.of(code) ?? code;
  } catch {
    return code;
  }
}

type Rec = Record<string, unknown>;
const str = (x: unknown) => (typeof x === "string" && x !== "" ? x : undefined);
const num = (x: unknown) => (typeof x === "number" && Number.isFinite(x) ? x : undefined);
const en = (x: unknown) => str(((x as Rec | undefined)?.names as Rec | undefined)?.en);

/**
 * Maps a database record to Jitsu's Geo. Reads MaxMind's GeoLite2/GeoIP2 City layout (`country.iso_code`,
 * `city.names.en`, ...) and the flat layout of the ip-location-db builds (`country_code`, `city`, ...).
 */
export function toGeo(rec: Rec | null | undefined): GeoInfo | undefined {
  if (!rec) return undefined;
  const country = rec.country as Rec | undefined;
  const code = str(country?.iso_code) ?? str(rec.country_code);
  const geo: GeoInfo = {};
  const continent = str((rec.continent as Rec | undefined)?.code);
  if (continent) geo.continent = { code: continent };
  if (code) {
    const isEU = typeof country?.is_in_european_union === "boolean"
      ? country.is_in_european_union
      : EU.has(code);
    geo.country = { code, name: en(country) ?? countryName(code), isEU };
  }
  const sub = (rec.subdivisions as Rec[] | undefined)?.[0];
  const regionCode = str(sub?.iso_code);
  const regionName = en(sub) ?? str(rec.state1);
  if (regionCode || regionName) {
    geo.region = { code: regionCode ?? regionName!, ...(regionName ? { name: regionName } : {}) };
  }
  const city = en(rec.city) ?? str(rec.city);
  if (city) geo.city = { name: city };
  const postal = str((rec.postal as Rec | undefined)?.code) ?? str(rec.postcode);
  if (postal) geo.postalCode = { code: postal };
  const loc = rec.location as Rec | undefined;
  const latitude = num(loc?.latitude) ?? num(rec.latitude);
  const longitude = num(loc?.longitude) ?? num(rec.longitude);
  if (latitude !== undefined && longitude !== undefined) {
    const accuracyRadius = num(loc?.accuracy_radius);
    const timezone = str(loc?.time_zone) ?? str(rec.timezone);
    geo.location = {
      latitude,
      longitude,
      ...(accuracyRadius !== undefined ? { accuracyRadius } : {}),
      ...(timezone ? { timezone } : {}),
    };
  }
  return Object.keys(geo).length ? geo : undefined;
}

/** IP lookups in one or more `.mmdb` files (e.g. separate IPv4 and IPv6 files); the first hit wins. */
export class GeoLookup {
  private constructor(private readonly readers: Reader<Response>[]) {}

  /** Opens (reads into memory) each file; throws naming the file that cannot be read. */
  static async open(paths: string[]): Promise<GeoLookup> {
    const readers: Reader<Response>[] = [];
    for (const path of paths) {
      try {
        readers.push(await maxmind.open<Response>(path));
      } catch (e) {
        throw new Error(`Cannot open GEOIP_DATABASE file "${path}": ${(e as Error).message}`);
      }
    }
    return new GeoLookup(readers);
  }

  /** Jitsu's Geo of `ip`, or undefined (not an IP, a private address, not in the database). */
  lookup(ip: unknown): GeoInfo | undefined {
    if (typeof ip !== "string" || !maxmind.validate(ip)) return undefined;
    const v6 = ip.includes(":");
    for (const r of this.readers) {
      // An IPv4-only file answers IPv6 questions with unrelated records: ask it IPv4 addresses only.
      if (v6 && r.metadata.ipVersion === 4) continue;
      try {
        const geo = toGeo(r.get(ip) as Rec | null);
        if (geo) return geo;
      } catch {
        // an address this file cannot answer: try the next one
      }
    }
    return undefined;
  }
}
