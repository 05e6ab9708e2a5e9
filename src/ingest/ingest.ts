/**
 * Accepting events for a stream: normalise each, write its queue row and its `incoming` Live Events
 * entry (Jitsu's IncomingLogContent) durably, and report per event. Shared by the HTTP
 * endpoints (after the write key is checked) and the MCP tool `send_test_event` (which needs no key).
 */
import type { Deps } from "../deps.ts";
import { streamConnections } from "./enqueue.ts";
import type { IngestItem } from "./writer.ts";
import { type EventType, MAX_EVENT_BYTES, normalizeEvent, type RequestFacts } from "./normalize.ts";

export interface IngestInput {
  workspaceId: string;
  streamId: string;
  /** The raw events (one for /api/s/{type}, many for a batch). */
  events: unknown[];
  pathType: EventType | null;
  facts: RequestFacts;
  headers: Record<string, string>;
  /** `keyId:***` for the incoming entry. */
  writeKeyMasked: string | null;
  batchContext?: Record<string, unknown>;
  /** The whole body was already held to the 1 MB event limit: skip measuring each event again. */
  sizeChecked?: boolean;
}

export interface IngestResult {
  /** Per event, in order. */
  results: { ok: boolean; messageId?: string; error?: string }[];
  /** Connection ids the accepted events will go to (empty: the stream has none, events were skipped). */
  connectionIds: string[];
}

const DROP_HEADER = /^(x-jitsu-|x-vercel)/i;
const SECRET_HEADER = /^(authorization|x-write-key|cookie|proxy-authorization)$/i;

/** Request headers as functions and Live Events see them: Jitsu's internal ones dropped, secrets masked. */
export function publicHeaders(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  // forEach, not for-of: Deno's Headers iterator cost ~18 µs for eight headers, forEach ~1.3 µs.
  h.forEach((v, k) => {
    if (DROP_HEADER.test(k)) return;
    out[k] = SECRET_HEADER.test(k) ? "***" : v.slice(0, 2000);
  });
  return out;
}

/** Normalises and durably enqueues `input.events`; resolves once they are committed. */
export async function ingestEvents(
  deps: Pick<Deps, "db" | "config" | "ingest" | "metrics">,
  input: IngestInput,
): Promise<IngestResult> {
  const { ids: connectionIds, json: destinationsJson } = await streamConnections(
    deps,
    input.workspaceId,
    input.streamId,
  );
  const items: IngestItem[] = [];
  const results: IngestResult["results"] = [];
  const created = input.facts.now.toISOString();
  // Built once per request; each event's JSON is serialised once and spliced into its entry.
  const metaJson = `"ingestType":${JSON.stringify(input.facts.ingestType)},"messageCreated":"${created}"` +
    (input.writeKeyMasked ? `,"writeKey":${JSON.stringify(input.writeKeyMasked)}` : "") +
    `,"origin":${JSON.stringify({ workspaceId: input.workspaceId, sourceId: input.streamId })}` +
    `,"httpHeaders":${JSON.stringify(input.headers)}`;
  for (const raw of input.events) {
    let n = normalizeEvent(raw, input.pathType, input.facts, input.batchContext);
    const eventJson = JSON.stringify(n.ok ? n.event : raw) ?? "null";
    // The size limit is checked on the JSON serialised anyway (UTF-16 length <= UTF-8 bytes <= 3x).
    if (n.ok && !input.sizeChecked && eventJson.length * 3 > MAX_EVENT_BYTES) {
      const size = new TextEncoder().encode(eventJson).length;
      if (size > MAX_EVENT_BYTES) {
        n = { ok: false, error: `event is ${size} bytes, more than ${MAX_EVENT_BYTES}` };
      }
    }
    const messageId = n.ok ? String(n.event.messageId) : undefined;
    const body = n.ok
      ? `{${metaJson},"messageId":${
        JSON.stringify(messageId)
      },"type":"${n.event.type}","httpPayload":${eventJson}}`
      : `{${metaJson},"httpPayload":${eventJson}}`;
    let status: "SUCCESS" | "FAILED" | "SKIPPED";
    let error: string | undefined;
    if (!n.ok) {
      status = "FAILED";
      error = `Cannot accept event: ${n.error}`;
    } else if (connectionIds.length === 0) {
      status = "SKIPPED";
      error = `no destinations found for stream: ${input.streamId}`;
    } else status = "SUCCESS";
    // Jitsu's IncomingLogContent, whose `body` is the IngestMessage as a JSON string, stored with `body`
    // as the object itself, last: escaping it again cost more CPU than anything else here, and readers
    // get Jitsu's form back by slicing (store/ingest_repo.ts's incomingAsJitsu).
    const messageJson = `{"status":"${status}"` +
      (error ? `,"error":${JSON.stringify(error)}` : "") +
      (status === "SUCCESS" ? `,"asyncDestinations":${destinationsJson}` : "") + `,"body":${body}}`;
    items.push({
      workspaceId: input.workspaceId,
      streamId: input.streamId,
      level: status === "FAILED" ? "error" : "info",
      timestamp: input.facts.now,
      messageJson,
      // The queue row refers to this entry: its QueuePayload (pipeline/queue_payload.ts) is rebuilt from
      // `body` when it is claimed.
      queued: status === "SUCCESS",
    });
    results.push(n.ok ? { ok: true, messageId, ...(error ? { error } : {}) } : { ok: false, error: n.error });
  }
  await deps.ingest.writer.write(items);
  let accepted = 0;
  for (const r of results) if (r.ok) accepted++;
  if (accepted) deps.metrics.inc("sluice_ingest_events_total", { result: "accepted" }, accepted);
  if (accepted < results.length) {
    deps.metrics.inc("sluice_ingest_events_total", { result: "refused" }, results.length - accepted);
  }
  return { results, connectionIds };
}
