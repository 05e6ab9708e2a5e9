import { flag, int, oneOf, text, textWithDefault } from "../base.ts";
import { functionsOptions } from "./options.ts";
import type { DestinationType } from "./types.ts";

export const amplitude: DestinationType = {
  id: "amplitude",
  title: "Amplitude",
  description: "Sends events to Amplitude's HTTP API v2, in batches of up to 1000.",
  tags: ["product-analytics"],
  credentials: {
    key: text("Project API key.", { max: 255 }),
    dataResidency: oneOf(["US", "EU"], "Where the Amplitude project stores data.", "US"),
    enableGroupAnalytics: flag("Send group calls as groups.", false),
    groupType: textWithDefault("Group type for group analytics.", "company"),
    enableAnonymousUserProfiles: flag("Send page and track events of users with no userId too.", false),
    sessionWindow: int(
      "Session window in minutes (Jitsu's setting; Sluice sends context.sessionId when numeric, else no session).",
      30,
      1,
      1440,
    ),
  },
  // Jitsu leaves this key unmasked; it lets anyone send events into the project, so Sluice masks it.
  secrets: [{ path: "key" }],
  connectionOptions: functionsOptions,
  deliverable: true,
};
