import * as v from "valibot";
import { text, textWithDefault } from "../base.ts";
import { functionsOptions } from "./options.ts";
import type { DestinationType } from "./types.ts";

export const ga4: DestinationType = {
  id: "ga4",
  title: "Google Analytics 4",
  description: "Sends events to GA4 through the Measurement Protocol.",
  tags: ["web-analytics"],
  credentials: {
    measurementId: text("Measurement id, e.g. G-XXXXXXX.", { max: 255 }),
    apiSecret: text("Measurement Protocol API secret.", { max: 255 }),
    url: v.optional(
      v.pipe(
        v.string("must be a string"),
        v.url("must be an absolute URL"),
        v.description("Collection endpoint."),
      ),
      "https://www.google-analytics.com/mp/collect",
    ),
    events: textWithDefault('Event names to send, comma-separated; "" sends track events only, "*" all.', ""),
  },
  // Jitsu leaves apiSecret unmasked; it is a credential, so Sluice masks it.
  secrets: [{ path: "apiSecret" }],
  connectionOptions: functionsOptions,
  deliverable: false,
};
