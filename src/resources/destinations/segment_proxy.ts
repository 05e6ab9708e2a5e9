import * as v from "valibot";
import { text } from "../base.ts";
import { functionsOptions } from "./options.ts";
import type { DestinationType } from "./types.ts";

export const segmentProxy: DestinationType = {
  id: "segment-proxy",
  title: "Segment",
  description: "Forwards events unchanged to Segment's HTTP tracking API (or a Segment-compatible one), " +
    "in batches of up to 500 events and 500 KB; an event over 32 KB is refused.",
  tags: ["cdp"],
  credentials: {
    writeKey: text("Write key of the Segment source.", { max: 255 }),
    apiBase: v.optional(
      v.pipe(
        v.string("must be a string"),
        v.regex(
          /^[Hh][Tt][Tt][Pp][Ss]?:\/\/[^\s]+$/,
          "must be an https:// URL (http:// only for a private host)",
        ),
        v.maxLength(2048, "at most 2048 characters"),
        v.description(
          "Segment's API base (EU workspaces: https://events.eu1.segmentapis.com/v1); http:// only for a " +
            "loopback or private host with DESTINATIONS_ALLOW_PRIVATE_NETWORK=true.",
        ),
      ),
      "https://api.segment.io/v1",
    ),
  },
  secrets: [{ path: "writeKey" }],
  connectionOptions: functionsOptions,
  deliverable: true,
};
