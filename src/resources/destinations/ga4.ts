import * as v from "valibot";
import { text, textWithDefault } from "../base.ts";
import { functionsOptions } from "./options.ts";
import type { DestinationType } from "./types.ts";

export const ga4: DestinationType = {
  id: "ga4",
  title: "Google Analytics 4",
  description: "Sends events to GA4 through the Measurement Protocol (one request an event).",
  tags: ["web-analytics"],
  credentials: {
    measurementId: text("Measurement id, e.g. G-XXXXXXX.", { max: 255 }),
    apiSecret: text("Measurement Protocol API secret.", { max: 255 }),
    url: v.optional(
      v.pipe(
        v.picklist(
          ["https://www.google-analytics.com/mp/collect", "https://region1.google-analytics.com/mp/collect"],
          "must be https://www.google-analytics.com/mp/collect or https://region1.google-analytics.com/mp/collect",
        ),
        v.description("Collection endpoint: the global one, or region1 to collect in the EU."),
      ),
      "https://www.google-analytics.com/mp/collect",
    ),
    events: textWithDefault('Event names to send, comma-separated; "" sends track events only, "*" all.', ""),
  },
  // Jitsu leaves apiSecret unmasked; it is a credential, so Sluice masks it.
  secrets: [{ path: "apiSecret" }],
  connectionOptions: functionsOptions,
  deliverable: true,
};
