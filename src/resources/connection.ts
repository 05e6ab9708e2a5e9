import * as v from "valibot";
import { Name, ObjectId, strict } from "./base.ts";
import { DESTINATION_TYPES } from "./destinations/catalog.ts";
import { describeDestination, type DestinationType } from "./destinations/types.ts";
import { syncOptions } from "./sync_options.ts";

function connectionEntries(options: v.ObjectEntries) {
  return {
    id: v.optional(ObjectId),
    name: v.optional(
      v.pipe(Name, v.description('Display name; "<stream name> -> <destination name>" when absent.')),
    ),
    fromId: v.pipe(ObjectId, v.description("The stream (push) or service (sync) events come from.")),
    toId: v.pipe(ObjectId, v.description("The destination events go to.")),
    type: v.optional(
      v.pipe(
        v.picklist(["push", "sync"], "must be push or sync"),
        v.description("push: stream -> destination; sync: service -> destination."),
      ),
      "push",
    ),
    data: v.optional(strict(options, "Options; which apply depends on the destination type.")),
  };
}

// Every option any destination accepts, without defaults (which differ by type): the shape an
// unknown-destination-type check uses, and what the generic JSON Schema shows.
const allOptions: v.ObjectEntries = {};
for (const d of DESTINATION_TYPES) {
  for (const [k, s] of Object.entries(d.connectionOptions)) {
    if (k in allOptions) continue;
    allOptions[k] = s.type === "optional"
      ? v.optional((s as v.OptionalSchema<v.GenericSchema, unknown>).wrapped)
      : s;
  }
}

for (const [k, s] of Object.entries(syncOptions)) allOptions[k] ??= s;

/** A connection to any destination; `data` is checked again against the destination's own options. */
export const ConnectionInput = v.pipe(
  strict(connectionEntries(allOptions)),
  v.description(
    "Links a stream (push) or service (sync) to a destination, with the functions run on the way. " +
      "For one destination type's options, get the schema with subtype = that destinationType.",
  ),
);

/** A connection to a destination of type `d`, with that type's options and defaults. */
export function connectionSchemaFor(d: DestinationType) {
  return v.pipe(
    strict(connectionEntries(d.connectionOptions)),
    v.description(`A connection to a ${d.title} destination. ${describeDestination(d)}`),
  );
}

/** A sync connection (service -> warehouse destination): streams, schedule, timezone, table prefix. */
export const SyncConnectionInput = v.pipe(
  strict(connectionEntries(syncOptions)),
  v.description(
    "A sync: runs the service's source connector (Airbyte protocol) and writes each stream to a table " +
      'of the destination (postgres or mysql). type must be "sync".',
  ),
);
