/**
 * Delivering through the real pipeline to an API stand-in: ingest (`/api/s/s2s/...` with a server write
 * key) -> queue -> functions -> the API driver -> the stand-in, and the `bulker_stream` entries written.
 */
import { queryEvents } from "../../../src/events_log/events_log.ts";
import type { DestinationDriver } from "../../../src/destinations/driver.ts";
import { defaultDrivers, type DriverTable } from "../../../src/pipeline/drivers.ts";
import { Pipeline } from "../../../src/pipeline/pipeline.ts";
import { expectJson, type TestApp, type TestUser } from "../../_helpers/app.ts";
import { type Setup, setupPipeline } from "../../pipeline/fixtures.ts";

/** One ingested call: the type (`track`, `page`, `identify`, ...) and its body. */
export interface Ingested {
  type: string;
  body: Record<string, unknown>;
}

export interface StreamEntry {
  status: string;
  error?: string;
  target?: string;
  messageId?: string;
  mappedData?: unknown;
}

/** Sends `events` through ingest, drains the pipeline once with `driver` (or the default table). */
export async function deliver(
  t: TestApp,
  u: TestUser,
  { destination, events, driver, functionCode }: {
    destination: Record<string, unknown>;
    events: Ingested[];
    driver?: DestinationDriver;
    functionCode?: string;
  },
): Promise<{ setup: Setup; entries: StreamEntry[]; pipeline: Pipeline }> {
  const setup = await setupPipeline(u, { destination, functionCode });
  const drivers: DriverTable = defaultDrivers(t.deps);
  if (driver) drivers.set(driver.type, driver);
  const pipeline = new Pipeline(t.deps, { workers: 0, drivers });
  try {
    for (const e of events) {
      const res = await t.request(`/api/s/s2s/${e.type}`, {
        method: "POST",
        headers: { "x-write-key": setup.serverKey },
        json: e.body,
      });
      await expectJson(res, 200);
    }
    await pipeline.drain();
  } finally {
    await pipeline.stop();
  }
  return { setup, entries: await streamEntries(t, u, setup.connectionId), pipeline };
}

/** The connection's `bulker_stream` entries, oldest first. */
export async function streamEntries(t: TestApp, u: TestUser, connectionId: string): Promise<StreamEntry[]> {
  const page = await queryEvents(t.deps.db, {
    workspaceId: u.workspace.id,
    type: "bulker_stream",
    actorId: connectionId,
    limit: 1000,
  });
  return page.events.map((e) => e.message as StreamEntry).reverse();
}

/** A page, a track and an identify of one user, as a website and a server would send them. */
export function pageTrackIdentify(prefix: string): Ingested[] {
  const context = {
    ip: "203.0.113.9",
    userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
    page: { url: "https://shop.example/cart?gclid=abc", title: "Cart", referrer: "https://search.example/" },
  };
  return [
    {
      type: "page",
      body: { messageId: `${prefix}-page`, userId: "user-42", anonymousId: "anon-777-xyz", context },
    },
    {
      type: "track",
      body: {
        messageId: `${prefix}-track`,
        userId: "user-42",
        anonymousId: "anon-777-xyz",
        event: "Order Completed",
        properties: { order_id: "o-1", total: 12.5, currency: "EUR" },
        context,
      },
    },
    {
      type: "identify",
      body: {
        messageId: `${prefix}-identify`,
        userId: "user-42",
        anonymousId: "anon-777-xyz",
        traits: { email: "ada@example.com", name: "Ada" },
        context,
      },
    },
  ];
}
