import * as v from "valibot";
import { flag, text, textWithDefault } from "../base.ts";
import { functionsOptions } from "./options.ts";
import type { DestinationType } from "./types.ts";

export const posthog: DestinationType = {
  id: "posthog",
  title: "PostHog",
  description: "Sends events to PostHog's capture API.",
  tags: ["product-analytics"],
  credentials: {
    key: text("Project API key.", { max: 255 }),
    host: v.optional(
      v.pipe(
        v.string("must be a string"),
        v.regex(/^https:\/\/[^/\s]+\/?$/, "must be https://<domain>"),
        v.description("PostHog instance."),
      ),
      "https://app.posthog.com",
    ),
    enableGroupAnalytics: flag("Send group calls as groups.", false),
    groupType: textWithDefault("Group type for group analytics.", "company"),
    sendAnonymousEvents: flag("Send events of users that are not identified.", false),
  },
  secrets: [{ path: "key" }],
  connectionOptions: functionsOptions,
  deliverable: false,
};
