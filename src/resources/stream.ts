import * as v from "valibot";
import { baseEntries, strict } from "./base.ts";

const KeyId = v.pipe(
  v.string("must be a string"),
  v.regex(/^[A-Za-z0-9][A-Za-z0-9_-]{2,63}$/, "must be 3-64 letters, digits, '_' or '-'"),
);

/**
 * A write key on input: a new key is `{id, plaintext}`; an existing key is referenced by `{id}` (the
 * listed fields `hint`, `createdAt`, `lastUsed` may be echoed back and are ignored). The key a client
 * sends to ingest is `id:plaintext`.
 */
export const StreamKeyInput = strict({
  id: KeyId,
  plaintext: v.optional(
    v.pipe(
      v.string("must be a string"),
      v.regex(/^[\x21-\x7e]{16,200}$/, "must be 16-200 printable characters without spaces"),
      v.description("The secret, for a new key or to replace an existing key's secret. Stored hashed."),
    ),
  ),
  hint: v.optional(v.nullable(v.string())),
  createdAt: v.optional(v.nullable(v.string())),
  lastUsed: v.optional(v.nullable(v.string())),
});

const keyList = (description: string) =>
  v.optional(
    v.pipe(
      v.array(StreamKeyInput, "must be an array of keys"),
      v.maxLength(50, "at most 50 keys"),
      v.description(description),
    ),
  );

/** A stream: a site or source of events, with the write keys that may send to it. */
export const StreamInput = v.pipe(
  strict({
    ...baseEntries,
    domains: v.optional(
      v.pipe(
        v.array(
          v.pipe(
            v.string("must be a string"),
            v.regex(/^(?=.{1,253}$)([A-Za-z0-9-]{1,63}\.)*[A-Za-z0-9-]{1,63}$/, "must be a host name"),
          ),
          "must be an array of host names",
        ),
        v.maxLength(100, "at most 100 domains"),
        v.description("Custom ingest domains that route to this stream (stored lowercased)."),
      ),
    ),
    authorizedJavaScriptDomains: v.optional(
      v.pipe(
        v.string("must be a string"),
        v.maxLength(10_000, "at most 10000 characters"),
        v.description("Comma-separated origins allowed to send browser events (Jitsu's field)."),
      ),
    ),
    publicKeys: keyList("Browser write keys. The full list: keys left out are deleted."),
    privateKeys: keyList("Server-to-server write keys. The full list: keys left out are deleted."),
    strict: v.optional(
      v.pipe(
        v.boolean("must be true or false"),
        v.description("Accept events only with a valid write key (never by domain alone)."),
      ),
    ),
  }),
  v.description(
    "A site or source of events. Created without keys, it gets one server key whose plaintext is in the " +
      "create response only.",
  ),
);
