import { flag, oneOf, optText, text } from "../base.ts";
import { streamingOptions } from "./options.ts";
import type { DestinationType } from "./types.ts";

export const mixpanel: DestinationType = {
  id: "mixpanel",
  title: "Mixpanel",
  description: "Sends events (Import API, 2000 a request) and user and group profiles to Mixpanel.",
  tags: ["product-analytics"],
  credentials: {
    dataResidency: oneOf(["US", "EU", "IN"], "Where the Mixpanel project stores data.", "US"),
    projectId: text("Project id.", { max: 255 }),
    projectToken: text("Project token.", { max: 255 }),
    serviceAccountUserName: text("Service account user name.", { max: 255 }),
    serviceAccountPassword: text("Service account secret.", { max: 1000 }),
    simplifiedIdMerge: flag("The project uses Simplified ID Merge.", false),
    sendPageEvents: flag("Send page events.", true),
    sendIdentifyEvents: flag("Send identify events as events too.", false),
    enableGroupAnalytics: flag("Send group calls as group profiles.", false),
    groupKey: optText("Group key for group analytics.", { max: 255 }),
    filterBotTraffic: flag("Drop events from bots.", true),
    enableAnonymousUserProfiles: flag("Send events of users with no userId or email too.", false),
  },
  secrets: [{ path: "projectToken" }, { path: "serviceAccountPassword" }],
  connectionOptions: streamingOptions({ batchSize: 1000, maxBatch: 2000 }),
  deliverable: true,
};
