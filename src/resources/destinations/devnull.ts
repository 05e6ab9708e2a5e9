import { functionsOptions } from "./options.ts";
import type { DestinationType } from "./types.ts";

export const devnull: DestinationType = {
  id: "devnull",
  title: "Dev Null",
  description: "Accepts every event and discards it: for testing functions.",
  tags: ["testing"],
  credentials: {},
  secrets: [],
  connectionOptions: functionsOptions,
  deliverable: true,
};
