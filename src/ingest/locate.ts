/**
 * Which stream a request writes to, and as what: the write key when one is sent (Jitsu's `getDataLocator`
 * order, src/ingest/write_key.ts), else the keyless locators (src/ingest/stream_routing.ts); then, for
 * browser events, the stream's `authorizedJavaScriptDomains` against the `Origin` (src/ingest/origin.ts).
 */
import type { Deps } from "../deps.ts";
import type { StreamFacts } from "../store/stream_routing_repo.ts";
import { refusedOrigin } from "./origin.ts";
import { type KeylessMode, keylessStream, requestHost, streamFactsById } from "./stream_routing.ts";
import { findWriteKey, maskWriteKey, resolveWriteKey } from "./write_key.ts";

/**
 * What an endpoint accepts: `browser` keys only (`/api/s/{type}`), `server` keys only (`/api/s/s2s/...`),
 * or `either`, the key's kind deciding how the event is treated (Segment's endpoints and the pixel: Jitsu's
 * "writeKey" ingest type).
 */
export type KeyPolicy = "browser" | "server" | "either";

export interface LocateInput {
  policy: KeyPolicy;
  /** Locators allowed without a key (null: a key is required). */
  keyless: KeylessMode | null;
  headers: Headers;
  query: URLSearchParams;
  /** The host the request was sent to (its URL's host). */
  host: string;
  /** A body that may carry `writeKey` (Segment's). */
  body?: unknown;
}

export type Located =
  | {
    ok: true;
    workspaceId: string;
    streamId: string;
    ingestType: "browser" | "s2s";
    /** `keyId:***` (null for a keyless event). */
    masked: string | null;
  }
  | { ok: false; problem: "key" | "origin"; error: string };

const KEY_HELP = "send the stream's write key as Basic auth user name, X-Write-Key or ?writekey=";

/** Finds the stream of a request; a refused key or origin comes back with the error to answer. */
export async function locateStream(
  deps: Pick<Deps, "db" | "secrets" | "clock" | "writeKeys" | "ingest" | "config">,
  input: LocateInput,
): Promise<Located> {
  const found = findWriteKey(input.headers, input.query, input.body);
  let facts: StreamFacts | null;
  let ingestType: "browser" | "s2s";
  let masked: string | null = null;
  if (found) {
    const key = await resolveWriteKey(deps, found.key);
    masked = maskWriteKey(found.key);
    if (!key) {
      return {
        ok: false,
        problem: "key",
        error: `Invalid write key ${masked} (from ${found.from}): unknown key or wrong secret`,
      };
    }
    if (input.policy !== "either" && key.kind !== input.policy) {
      const hint = input.policy === "browser"
        ? "server keys are for /api/s/s2s/... and /v1/batch"
        : "browser keys are for /api/s/{type}; use one of the stream's server keys";
      return { ok: false, problem: "key", error: `Write key ${key.keyId} is a ${key.kind} key: ${hint}` };
    }
    ingestType = key.kind === "browser" ? "browser" : "s2s";
    const known = streamFactsById(deps, { id: key.streamId, workspaceId: key.workspaceId });
    facts = known instanceof Promise ? await known : known;
    // Verified a moment ago; the stream may have been deleted since (the key cache lives a few seconds).
    if (!facts) {
      return { ok: false, problem: "key", error: `Invalid write key ${masked}: the stream is gone` };
    }
  } else {
    facts = input.keyless ? await keylessStream(deps, requestHost(input.host), input.keyless) : null;
    if (!facts) return { ok: false, problem: "key", error: `Missing write key: ${KEY_HELP}` };
    ingestType = input.keyless === "s2s" ? "s2s" : "browser";
  }
  // The Origin header is read only when the stream has rules: Deno's Headers.get costs ~0.4 µs a call.
  if (ingestType === "browser" && facts.authorized) {
    const refused = refusedOrigin(facts.authorized, input.headers.get("origin"));
    if (refused) return { ok: false, problem: "origin", error: refused };
  }
  return { ok: true, workspaceId: facts.workspaceId, streamId: facts.streamId, ingestType, masked };
}
