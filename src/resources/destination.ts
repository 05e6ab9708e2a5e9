import * as v from "valibot";
import { baseEntries, strict } from "./base.ts";
import { DESTINATION_TYPE_IDS, DESTINATION_TYPES } from "./destinations/catalog.ts";
import { describeDestination, type DestinationType } from "./destinations/types.ts";

/** The full schema of a destination of one type: name, `destinationType`, and its credentials, flat. */
export function destinationSchema(d: DestinationType) {
  return strict(
    {
      ...baseEntries,
      destinationType: v.pipe(v.literal(d.id), v.description(`Always "${d.id}" for ${d.title}.`)),
      ...d.credentials,
    },
    `${d.title}: ${describeDestination(d)}`,
  );
}

function destinationTypeMessage(issue: v.BaseIssue<unknown>): string {
  const known = DESTINATION_TYPE_IDS.join(", ");
  if (issue.input === undefined) return `required; one of: ${known}`;
  return `unknown destination type ${JSON.stringify(issue.input)}; known: ${known}`;
}

/** Any destination: chosen by `destinationType`, then validated by that type's own schema. */
export const DestinationInput = v.pipe(
  v.variant("destinationType", DESTINATION_TYPES.map(destinationSchema), destinationTypeMessage),
  v.description("A place events are delivered to. Get one type's schema with subtype = its destinationType."),
);
