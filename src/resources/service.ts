import * as v from "valibot";
import { baseEntries, strict, text, textWithDefault } from "./base.ts";

/** A source connector's configuration (Airbyte protocol, as in Jitsu); sync connections run it (docs/syncs.md). */
export const ServiceInput = v.pipe(
  strict({
    ...baseEntries,
    protocol: v.optional(
      v.pipe(v.literal("airbyte", 'must be "airbyte"'), v.description("Connector protocol.")),
      "airbyte",
    ),
    package: v.pipe(
      text(
        'Connector: a file name in SYNC_CONNECTORS_DIR, or a Docker image such as "airbyte/source-github".',
        {
          max: 500,
        },
      ),
      v.regex(
        /^(?!.*\.\.)[A-Za-z0-9_][A-Za-z0-9@._:+/-]*$/,
        'must be a connector file name or a Docker image (letters, digits, "._-:@+/", no "..")',
      ),
    ),
    version: textWithDefault("Connector version.", "latest"),
    credentials: v.optional(
      v.pipe(
        v.record(v.string(), v.unknown(), "must be an object"),
        v.description("The connector's configuration. Every value is treated as secret (masked)."),
      ),
      {},
    ),
  }),
  v.description(
    "A source connector's configuration (Airbyte protocol). package: a file in SYNC_CONNECTORS_DIR or a Docker image; " +
      "a connection of type sync runs it into a warehouse.",
  ),
);
