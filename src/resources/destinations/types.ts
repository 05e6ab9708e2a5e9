import type * as v from "valibot";
import type { SecretRule } from "../secrets.ts";

/** One entry of the destination catalog; one file per destination type. */
export interface DestinationType {
  /** The `destinationType` value, e.g. `postgres`. */
  id: string;
  title: string;
  description: string;
  tags: string[];
  /** The type's own fields, flat at the top level of the destination object (as in Jitsu). */
  credentials: v.ObjectEntries;
  /** Which of those fields are secret: encrypted at rest, masked in every response. */
  secrets: SecretRule[];
  /** The `data` a connection to this destination accepts (functions, mode, batching, ...). */
  connectionOptions: v.ObjectEntries;
  /** Whether Sluice has a driver that delivers to it; false entries are stored and validated only. */
  deliverable: boolean;
  /** Why a configuration-only type does not deliver (shown in the catalog and the schema). */
  notDeliverableReason?: string;
}

/** The catalog description plus, when there is no driver yet, a sentence that says so. */
export function describeDestination(d: DestinationType): string {
  if (d.deliverable) return d.description;
  const why = d.notDeliverableReason ? ` ${d.notDeliverableReason}` : "";
  return `${d.description} Not deliverable yet: Sluice stores and validates this destination, but has no ` +
    `driver that delivers to it, so connections to it receive nothing.${why}`;
}
