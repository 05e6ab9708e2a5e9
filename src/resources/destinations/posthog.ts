import * as v from "valibot";
import { flag, text, textWithDefault } from "../base.ts";
import { functionsOptions } from "./options.ts";
import type { DestinationType } from "./types.ts";

export const posthog: DestinationType = {
  id: "posthog",
  title: "PostHog",
  description: "Sends events to PostHog's capture API (`/batch/`, up to 1000 a request).",
  tags: ["product-analytics"],
  credentials: {
    key: text("Project API key.", { max: 255 }),
    host: v.optional(
      v.pipe(
        v.string("must be a string"),
        v.regex(
          /^[Hh][Tt][Tt][Pp][Ss]?:\/\/[^/\s]+\/?$/,
          "must be https://<host> (http:// only for a private host)",
        ),
        v.description(
          "PostHog Cloud or a self-hosted instance; http:// only for a loopback or private host with " +
            "DESTINATIONS_ALLOW_PRIVATE_NETWORK=true.",
        ),
      ),
      "https://app.posthog.com",
    ),
    enableGroupAnalytics: flag("Send group calls as groups.", false),
    groupType: textWithDefault("Group type for group analytics.", "company"),
    sendAnonymousEvents: flag("Send events of users that are not identified.", false),
    enableAnonymousUserProfiles: flag("Jitsu's name for sendAnonymousEvents; either turns it on.", false),
  },
  secrets: [{ path: "key" }],
  connectionOptions: functionsOptions,
  deliverable: true,
};
