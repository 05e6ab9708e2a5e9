/**
 * Which IP addresses a server-side fetch may reach: the one table of special-purpose ranges behind
 * every URL Sluice fetches for someone else (Functions' `ctx.fetch`, webhook destinations, OAuth client
 * metadata documents). Ranges follow the IANA IPv4 and IPv6 Special-Purpose Address Registries; IPv6
 * forms that carry an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo) are judged by that address.
 */

/** What an address is, for a refusal message and for the two questions callers ask. */
export interface AddressVerdict {
  /** A public unicast address: reachable on the internet, so not a way into the server's network. */
  public: boolean;
  /** A cloud metadata endpoint: refused even where private networks are allowed (credentials live there). */
  metadata: boolean;
  /** What the address is, e.g. "loopback 127.0.0.0/8" or "6to4 2002::/16 of 127.0.0.1, loopback 127.0.0.0/8". */
  kind: string;
}

interface Range {
  bytes: Uint8Array;
  bits: number;
  cidr: string;
}

interface Named extends Range {
  name: string;
}

function range(cidr: string): Range {
  const [ip, bits] = cidr.split("/");
  return { bytes: parseIp(ip)!, bits: Number(bits), cidr };
}

function named(name: string, cidr: string): Named {
  return { ...range(cidr), name };
}

/** Not globally reachable, so never fetched unless private networks are allowed. Order: narrowest first. */
const V4_REFUSED: Named[] = [
  named("this network", "0.0.0.0/8"),
  named("private network", "10.0.0.0/8"),
  named("carrier-grade NAT", "100.64.0.0/10"),
  named("loopback", "127.0.0.0/8"),
  named("link-local", "169.254.0.0/16"),
  named("private network", "172.16.0.0/12"),
  named("IETF protocol assignments", "192.0.0.0/24"),
  named("documentation", "192.0.2.0/24"),
  named("6to4 relay anycast", "192.88.99.0/24"),
  named("private network", "192.168.0.0/16"),
  named("benchmarking", "198.18.0.0/15"),
  named("documentation", "198.51.100.0/24"),
  named("documentation", "203.0.113.0/24"),
  named("multicast", "224.0.0.0/4"),
  named("broadcast", "255.255.255.255/32"),
  named("reserved", "240.0.0.0/4"),
];

/** Operators choose the prefix length inside it (RFC 8215), so its IPv4 part has no fixed place. */
const LOCAL_NAT64 = named("local-use NAT64", "64:ff9b:1::/48");

const V6_REFUSED: Named[] = [
  named("unspecified", "::/128"),
  named("loopback", "::1/128"),
  LOCAL_NAT64,
  named("discard-only", "100::/64"),
  named("benchmarking", "2001:2::/48"),
  named("ORCHID", "2001:10::/28"),
  named("ORCHIDv2", "2001:20::/28"),
  named("documentation", "2001:db8::/32"),
  named("documentation", "3fff::/20"),
  named("SRv6 segment identifiers", "5f00::/16"),
  named("unique local", "fc00::/7"),
  named("link-local", "fe80::/10"),
  named("site-local", "fec0::/10"),
  named("multicast", "ff00::/8"),
];

/** IPv6 ranges whose addresses stand for an IPv4 address, and where it sits. */
const V6_EMBEDDING: { range: Named; v4: (b: Uint8Array) => Uint8Array }[] = [
  { range: named("IPv4-mapped", "::ffff:0:0/96"), v4: last32 },
  { range: named("IPv4-translated", "::ffff:0:0:0/96"), v4: last32 },
  { range: named("NAT64", "64:ff9b::/96"), v4: last32 },
  { range: named("6to4", "2002::/16"), v4: (b) => b.slice(2, 6) },
  // RFC 4380 §4: the client's public IPv4 address is the last 32 bits, each bit inverted.
  { range: named("Teredo", "2001::/32"), v4: (b) => last32(b).map((x) => x ^ 0xff) },
];

/** Instance metadata services: AWS, GCP, Azure, Oracle and others on link-local, plus the ones elsewhere. */
const METADATA: Named[] = [
  named("link-local", "169.254.0.0/16"),
  named("Alibaba Cloud metadata", "100.100.100.200/32"),
  named("Azure WireServer", "168.63.129.16/32"), // a public address answered only inside Azure
  named("Oracle Cloud metadata", "192.0.0.192/32"), // older instances
  named("AWS metadata over IPv6", "fd00:ec2::254/128"),
];

const GLOBAL_UNICAST_V6 = range("2000::/3");
/** The IPv4-compatible form ::a.b.c.d (deprecated, RFC 4291 §2.5.5.1); :: and ::1 are matched first. */
const V4_COMPATIBLE = named("IPv4-compatible", "::/96");

function last32(b: Uint8Array): Uint8Array {
  return b.slice(12, 16);
}

function inRange(b: Uint8Array, r: Range): boolean {
  if (b.length !== r.bytes.length) return false;
  const whole = r.bits >> 3;
  for (let i = 0; i < whole; i++) if (b[i] !== r.bytes[i]) return false;
  const rest = r.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (b[whole] & mask) === (r.bytes[whole] & mask);
}

function parseV4(s: string): Uint8Array | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  // Only plain dotted decimal: "0177.0.0.1" is octal to some parsers and decimal to others, so it is no
  // address here (URL parsing already turns such hosts into dotted decimal).
  if (!parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return null;
  return new Uint8Array(parts.map(Number));
}

function parseV6(text: string): Uint8Array | null {
  if (!text.includes(":") || text.includes("%")) return null; // a zone id only exists on link-local
  let s = text;
  const dotted = /:(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const v4 = parseV4(dotted[1]);
    if (!v4) return null;
    const hex = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
    s = s.slice(0, -dotted[1].length) + `${hex(v4[0], v4[1])}:${hex(v4[2], v4[3])}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return null;
  const groups = [...head, ...Array(halves.length === 2 ? fill : 0).fill("0"), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return null;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const w = parseInt(g, 16);
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** The bytes of an IP literal (4 for IPv4, 16 for IPv6, brackets allowed), or null when it is not one. */
export function parseIp(text: string): Uint8Array | null {
  const s = text.replace(/^\[(.*)\]$/, "$1");
  return parseV4(s) ?? parseV6(s);
}

function formatV4(b: Uint8Array): string {
  return b.join(".");
}

function classifyV4(b: Uint8Array): AddressVerdict {
  const meta = METADATA.find((r) => inRange(b, r));
  const hit = V4_REFUSED.find((r) => inRange(b, r));
  if (hit) return { public: false, metadata: meta !== undefined, kind: `${hit.name} ${hit.cidr}` };
  return { public: true, metadata: meta !== undefined, kind: meta ? `${meta.name} ${meta.cidr}` : "public" };
}

function classifyV6(b: Uint8Array): AddressVerdict {
  const metadata = METADATA.some((r) => inRange(b, r));
  const hit = V6_REFUSED.find((r) => inRange(b, r));
  if (hit) {
    // The common /96 layout can still carry a metadata address: refused even where private is allowed.
    const local = hit === LOCAL_NAT64 && classifyV4(last32(b)).metadata;
    return { public: false, metadata: metadata || local, kind: `${hit.name} ${hit.cidr}` };
  }
  const embedding = V6_EMBEDDING.find((e) => inRange(b, e.range)) ??
    (inRange(b, V4_COMPATIBLE) ? { range: V4_COMPATIBLE, v4: last32 } : undefined);
  if (embedding) {
    const v4 = embedding.v4(b);
    const inner = classifyV4(v4);
    const { name, cidr } = embedding.range;
    return { ...inner, kind: `${name} ${cidr} of ${formatV4(v4)}, ${inner.kind}` };
  }
  if (!inRange(b, GLOBAL_UNICAST_V6)) {
    return { public: false, metadata, kind: `outside global unicast ${GLOBAL_UNICAST_V6.cidr}` };
  }
  return { public: true, metadata, kind: "public" };
}

/** Classifies an IP literal; anything that is not one is neither public nor fetchable. */
export function classifyAddress(ip: string): AddressVerdict {
  const b = parseIp(ip);
  if (!b) return { public: false, metadata: false, kind: "not an IP address" };
  return b.length === 4 ? classifyV4(b) : classifyV6(b);
}

/** Whether `ip` is a public unicast address a server may fetch from for someone else. */
export function isPublicAddress(ip: string): boolean {
  return classifyAddress(ip).public;
}

/** Whether `ip` is a cloud metadata endpoint, in any spelling (e.g. ::ffff:169.254.169.254). */
export function isMetadataAddress(ip: string): boolean {
  return classifyAddress(ip).metadata;
}
