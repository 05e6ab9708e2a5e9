import * as v from "valibot";
import { flag, int, oneOf, optText } from "../base.ts";
import { streamingOptions } from "./options.ts";
import type { DestinationType } from "./types.ts";

export const webhook: DestinationType = {
  id: "webhook",
  title: "Webhook",
  description: "Sends each event as JSON to an HTTP endpoint, with the configured method and headers.",
  tags: ["http"],
  credentials: {
    url: v.pipe(
      v.string("must be a string"),
      v.url("must be an absolute URL, e.g. https://example.com/hook"),
      v.regex(/^[Hh][Tt][Tt][Pp][Ss]?:\/\//, "must be an http:// or https:// URL"),
      v.description("Where events are sent."),
    ),
    method: oneOf(["GET", "POST", "PUT", "PATCH", "DELETE"], "HTTP method.", "POST"),
    headers: v.optional(
      v.pipe(
        v.array(
          v.pipe(
            v.string("must be a string"),
            // One line only: a CR/LF would split the header (RFC 9110 section 5.5), and fetch refuses it
            // with the (secret) value in its error message.
            v.regex(
              /^[A-Za-z0-9!#$%&'*+.^_`|~-]+[ \t]*:[^\r\n\0]*$/,
              'must be "Name: value" on one line (no CR, LF or NUL)',
            ),
          ),
          "must be an array of strings",
        ),
        v.maxLength(50, "at most 50 headers"),
        v.description(
          'Extra request headers as "Name: value" strings; a value may use {{ env.NAME }} (a functionsEnv ' +
            "value) and {{ EVENT.field.path }} (a field of the event). Values are secret (masked).",
        ),
      ),
    ),
    customPayload: flag("Send `payload` (a template) instead of the event JSON.", false),
    payload: optText("Body template; {{ EVENT }} is the event JSON, {{ env.NAME }} a functionsEnv value.", {
      max: 100_000,
    }),
    timeoutMs: int("Request timeout in milliseconds.", 10_000, 100, 60_000),
    signingSecret: optText(
      "Secret for signing: each request carries signatureHeader: sha256=<hex HMAC-SHA256 of the body>.",
      { max: 1000 },
    ),
    signatureHeader: v.optional(
      v.pipe(
        v.string("must be a string"),
        v.regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, "must be a header name"),
        v.description("Header that carries the signature when signingSecret is set (X-Webhook-Signature)."),
      ),
    ),
  },
  secrets: [{ path: "headers.*", header: true }, { path: "signingSecret" }],
  connectionOptions: streamingOptions({ batchSize: 100, maxBatch: 1000 }),
  deliverable: true,
};
