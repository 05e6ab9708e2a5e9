/**
 * The product and marketing API drivers, and their connection tests (test_connection answers the same
 * over REST and MCP through src/services/test_connection.ts).
 */
import type { DestinationDriver } from "../driver.ts";
import { AMPLITUDE } from "./amplitude.ts";
import { apiDriver, type ApiSpec, type ApiTestAnswer } from "./api_driver.ts";
import type { ApiDriverOptions } from "./api_http.ts";
import { BRAZE } from "./braze.ts";
import { FACEBOOK } from "./facebook.ts";
import { GA4 } from "./ga4.ts";
import { HUBSPOT } from "./hubspot.ts";
import { INTERCOM } from "./intercom.ts";
import { JUNE } from "./june.ts";
import { MIXPANEL } from "./mixpanel.ts";
import { POSTHOG } from "./posthog.ts";
import { SEGMENT } from "./segment.ts";
import { STATSIG } from "./statsig.ts";

// deno-lint-ignore no-explicit-any
const SPECS: ApiSpec<any>[] = [
  MIXPANEL,
  AMPLITUDE,
  GA4,
  POSTHOG,
  SEGMENT,
  BRAZE,
  JUNE,
  STATSIG,
  FACEBOOK,
  INTERCOM,
  HUBSPOT,
];

/** Destination types an API driver delivers to. */
export const API_DESTINATION_TYPES = SPECS.map((s) => s.type);

/** One driver per API; `opts.baseUrl` (tests, benches) points every one of them at a stand-in. */
export function apiDrivers(opts: ApiDriverOptions = {}): DestinationDriver[] {
  return SPECS.map((s) => apiDriver(s, opts));
}

/** The driver of one API type (tests inject a stand-in's base URL here). */
export function apiDriverOf(type: string, opts: ApiDriverOptions = {}): DestinationDriver {
  const spec = SPECS.find((s) => s.type === type);
  if (!spec) throw new Error(`No API driver for destination type "${type}"`);
  return apiDriver(spec, opts);
}

/** test_connection for an API type: an authenticated call that records no event where the API has one. */
export async function testApiConnection(
  type: string,
  credentials: Record<string, unknown>,
  opts: ApiDriverOptions & { signal?: AbortSignal },
): Promise<ApiTestAnswer> {
  const driver = apiDriverOf(type, opts);
  try {
    return await driver.test!(credentials, {
      signal: opts.signal ?? AbortSignal.timeout(20_000),
    }) as ApiTestAnswer;
  } finally {
    await driver.close?.();
  }
}
