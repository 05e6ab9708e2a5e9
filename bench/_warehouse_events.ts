import { cpuUsage } from "node:process";

/** This process's CPU time so far (user + system), in ms: steadier than wall time on a shared machine. */
export function cpuMs(): number {
  const u = cpuUsage();
  return (u.user + u.system) / 1000;
}

/** The events of `deno task bench warehouse` and `deno task bench mapping`: Segment tracks as a browser sends them. */
export function makeEvents(n: number, tag: string, table?: string): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    ...(table ? { $table: table } : {}),
    type: "track",
    event: "Order Completed",
    messageId: `${tag}-${i}`,
    userId: `user-${i % 1000}`,
    anonymousId: `anon-${i % 5000}`,
    timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i % 60)).toISOString(),
    receivedAt: new Date(Date.UTC(2026, 0, 1, 0, 1, i % 60)).toISOString(),
    context: {
      ip: "203.0.113.7",
      userAgent:
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Safari/537.36",
      locale: "en-US",
      page: {
        url: `https://shop.example.com/p/${i % 100}`,
        title: "Product",
        referrer: "https://google.com/",
      },
      library: { name: "@jitsu/js", version: "1.9.0" },
      traits: { email: `u${i % 1000}@example.com` },
    },
    properties: {
      total: (i % 500) + 0.5,
      currency: "EUR",
      items: [{ sku: `s${i % 50}`, qty: 1 }],
      coupon: "NONE",
    },
  }));
}
