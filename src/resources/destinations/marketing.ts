/**
 * Product and marketing APIs beyond the analytics ones (Intercom, HubSpot, Braze, Facebook Conversions,
 * June, Statsig); their drivers are in src/destinations/apis/.
 */
import { flag, oneOf, optText, text, textWithDefault } from "../base.ts";
import { functionsOptions } from "./options.ts";
import type { DestinationType } from "./types.ts";

export const intercom: DestinationType = {
  id: "intercom",
  title: "Intercom",
  description:
    "Creates and updates Intercom contacts (identify) and companies (group), attaches contacts to " +
    "companies and sends track and page events as data events, one event at a time in order.",
  tags: ["crm"],
  credentials: {
    accessToken: text("Access token of an Intercom app.", { max: 1000 }),
    region: oneOf(["US", "EU", "AU"], "Where the Intercom workspace is hosted.", "US"),
  },
  secrets: [{ path: "accessToken" }],
  connectionOptions: functionsOptions,
  deliverable: true,
};

export const hubspot: DestinationType = {
  id: "hubspot",
  title: "HubSpot",
  description:
    "Creates and updates HubSpot contacts (identify) and companies (group), associates them, and " +
    "with sendPageViewEvents sends events with an email as behavioral events; one event at a time in order.",
  tags: ["crm"],
  credentials: {
    accessToken: text("Private app access token (CRM objects and schemas read and write).", { max: 1000 }),
    sendPageViewEvents: flag("Send events that carry an email as behavioral events.", false),
    autoCreateCustomProperties: flag(
      "Create missing contact properties (jitsu_user_id, jitsu_group_id).",
      true,
    ),
  },
  secrets: [{ path: "accessToken" }],
  connectionOptions: functionsOptions,
  deliverable: true,
};

export const braze: DestinationType = {
  id: "braze",
  title: "Braze",
  description: "Sends user attributes, events and purchases to Braze's /users/track API (75 of each a " +
    "request) and identifies anonymous aliases.",
  tags: ["marketing"],
  credentials: {
    apiKey: text("REST API key with the users.track (and users.identify) permission.", { max: 1000 }),
    endpoint: text(
      "The instance's REST endpoint, e.g. https://rest.iad-01.braze.com, or Jitsu's cluster label " +
        '("US-01 : dashboard-01.braze.com"); http:// only for a loopback or private host with ' +
        "DESTINATIONS_ALLOW_PRIVATE_NETWORK=true.",
      { max: 255 },
    ),
    appId: optText("App identifier, sent with events.", { max: 255 }),
    useJitsuAnonymousIdAlias: flag("Use anonymousId as a user alias for users with no userId.", false),
    sendPageEvents: flag("Send page and screen events as events.", false),
  },
  secrets: [{ path: "apiKey" }],
  connectionOptions: functionsOptions,
  deliverable: true,
};

export const facebookConversions: DestinationType = {
  id: "facebook-conversions",
  title: "Facebook Conversions API",
  description: "Sends conversion events to Meta's Conversions API, up to 1000 a request, with hashed email " +
    "and phone.",
  tags: ["advertising"],
  credentials: {
    pixelId: text("Pixel (dataset) id.", { max: 255 }),
    accessToken: text("Conversions API access token.", { max: 2000 }),
    actionSource: oneOf(
      ["website", "email", "app", "phone_call", "chat", "physical_store", "system_generated", "other"],
      "Where the conversions happen.",
      "website",
    ),
    events: textWithDefault(
      'Event types or names to send, comma-separated; "" sends track events only, "*" page and screen too.',
      "",
    ),
    phoneFieldName: optText("Trait that holds the phone number.", { max: 255 }),
  },
  secrets: [{ path: "accessToken" }],
  connectionOptions: functionsOptions,
  deliverable: true,
};

export const june: DestinationType = {
  id: "june",
  title: "June",
  description: "Sends track, page, identify and group calls to June's SDK API (one request an event).",
  tags: ["product-analytics"],
  credentials: {
    apiKey: text("June write key.", { max: 255 }),
    enableAnonymousUserProfiles: flag("Send events of users with no userId too.", false),
  },
  secrets: [{ path: "apiKey" }],
  connectionOptions: functionsOptions,
  deliverable: true,
};

export const statsig: DestinationType = {
  id: "statsig",
  title: "Statsig",
  description: "Sends events to Statsig's log_event API, up to 500 a request.",
  tags: ["product-analytics"],
  credentials: {
    apiKey: text("Server secret key.", { max: 255 }),
    enableAnonymousUserProfiles: flag("Send events of users with no userId too.", false),
    sendPageEvents: flag("Send page and screen events as page_view and screen_view.", false),
    environment: optText("Environment tier sent with every user (production, staging, ...).", { max: 255 }),
  },
  secrets: [{ path: "apiKey" }],
  connectionOptions: functionsOptions,
  deliverable: true,
};
