import { amplitude } from "./amplitude.ts";
import { bigquery } from "./bigquery.ts";
import { clickhouse } from "./clickhouse.ts";
import { devnull } from "./devnull.ts";
import { ga4 } from "./ga4.ts";
import { braze, facebookConversions, hubspot, intercom, june, statsig } from "./marketing.ts";
import { mixpanel } from "./mixpanel.ts";
import { mysql } from "./mysql.ts";
import { postgres } from "./postgres.ts";
import { posthog } from "./posthog.ts";
import { s3 } from "./s3.ts";
import { segmentProxy } from "./segment_proxy.ts";
import { snowflake } from "./snowflake.ts";
import type { DestinationType } from "./types.ts";
import { webhook } from "./webhook.ts";

/** Every destination type Sluice knows, in the order lists show them. */
export const DESTINATION_TYPES: readonly DestinationType[] = [
  webhook,
  devnull,
  postgres,
  mysql,
  clickhouse,
  bigquery,
  snowflake,
  s3,
  mixpanel,
  amplitude,
  ga4,
  posthog,
  segmentProxy,
  intercom,
  hubspot,
  braze,
  facebookConversions,
  june,
  statsig,
];

const byId = new Map(DESTINATION_TYPES.map((d) => [d.id, d]));

/** The catalog entry for `id`, or undefined. */
export function destinationType(id: string): DestinationType | undefined {
  return byId.get(id);
}

export const DESTINATION_TYPE_IDS = DESTINATION_TYPES.map((d) => d.id) as [string, ...string[]];
