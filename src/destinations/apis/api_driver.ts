/**
 * The driver every product and marketing API shares: an API module plans the HTTP requests for one
 * connection's events (mapping, batching), this sends them (api_http.ts: guard, retries, Retry-After)
 * and turns the answers into one WriteResult per event, each failure naming the API's own error text.
 */
import type { DestinationDriver, PipelineEvent, TestResult, WriteBatch, WriteResult } from "../driver.ts";
import {
  type ApiDriverOptions,
  type ApiRequest,
  type ApiResponse,
  ApiTransportError,
  rebase,
  sendApiRequest,
  shownUrl,
} from "./api_http.ts";
import { Http1Client } from "../../net/http1_client.ts";
import { apiErrorText } from "./error_text.ts";

/** A request and the events (indexes into the batch) it carries. */
export interface PlannedRequest extends ApiRequest {
  events: number[];
  /**
   * For a 2xx or 4xx answer that reports per-record errors: the failed events (batch index -> the
   * API's message). Without it a 2xx delivers every carried event and anything else fails them all.
   */
  partial?: (res: ApiResponse) => Map<number, string> | null;
  /**
   * Requests that depend on each other's answers (look a contact up, then create or update it): run
   * instead of sending this request; resolves with the answer that decides the outcome (the first
   * non-2xx, or the last one). `send` retries as every request does.
   */
  chain?: (send: (req: ApiRequest) => Promise<ApiResponse>) => Promise<ApiResponse>;
}

/** What an API makes of a batch of events. */
export interface ApiPlan {
  requests: PlannedRequest[];
  /** Events the mapping does not send (batch index -> why), as Jitsu's function would skip them. */
  skipped: Map<number, string>;
  /** What was sent for an event (Live Events' mappedData); never holds a credential. */
  mapped: Map<number, unknown>;
  /** Events the API would refuse, failed without a request (batch index -> why). */
  refused: Map<number, string>;
}

/** What test_connection reports for an API. */
export interface ApiTestAnswer extends TestResult {
  step?: string;
  /** What was checked, and what cannot be checked without sending an event. */
  message?: string;
}

/** One API: its name in messages, how it reads credentials, plans requests and tests them. */
export interface ApiSpec<C> {
  type: string;
  title: string;
  /** Checks and completes the destination's fields; throws with a message naming the field. */
  credentials(raw: Record<string, unknown>): C;
  plan(events: PipelineEvent[], creds: C): ApiPlan | Promise<ApiPlan>;
  /** Requests in flight at once; 1 where order matters (a contact must exist before its events). */
  concurrency?: number;
  /** A call that checks the credentials, sending no event where the API allows it. */
  test(creds: C, send: (req: ApiRequest) => Promise<ApiResponse>): Promise<ApiTestAnswer>;
}

/** An empty plan to fill. */
export function newPlan(): ApiPlan {
  return { requests: [], skipped: new Map(), mapped: new Map(), refused: new Map() };
}

/** Splits `items` into runs of at most `size`, and of at most `maxBytes` of JSON when given. */
export function chunk<T>(items: T[], size: number, maxBytes = Infinity): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const b = maxBytes === Infinity ? 0 : JSON.stringify(item).length + 1;
    if (cur.length && (cur.length >= size || bytes + b > maxBytes)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(item);
    bytes += b;
  }
  if (cur.length) out.push(cur);
  return out;
}

/** `Basic` authorization value of `user:password`. */
export function basicAuth(user: string, password: string): string {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return `Basic ${btoa(bin)}`;
}

function describeAnswer(title: string, res: ApiResponse & { waitedMs?: number[] }): string {
  const waited = res.waitedMs?.length
    ? ` (after ${res.waitedMs.length} retr${res.waitedMs.length === 1 ? "y" : "ies"}, waiting ${
      res.waitedMs.map((ms) => `${ms / 1000}s`).join(", ")
    })`
    : "";
  const retryAfter = res.headers.get("retry-after");
  const later = res.status === 429 && retryAfter ? `; it asks to retry after ${retryAfter}` : "";
  return `${title} answered ${res.status}${waited}: ${apiErrorText(res.text, res.status)}${later}`;
}

function retryable(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}

async function runPool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  async function lane() {
    while (next < items.length) await work(items[next++]);
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}

/** Sends a plan; fills `results` (one per event) from the answers. */
async function execute<C>(
  spec: ApiSpec<C>,
  plan: ApiPlan,
  batch: WriteBatch,
  opts: ApiDriverOptions,
): Promise<WriteResult[]> {
  const failures = new Map<number, { error: string; retryable: boolean }>();
  const targets = new Map<number, string>();
  function fail(i: number, error: string, canRetry: boolean) {
    const prev = failures.get(i);
    // One retryable failure makes the event retryable: the pipeline retries it, resending what succeeded.
    if (!prev || (canRetry && !prev.retryable)) failures.set(i, { error, retryable: canRetry });
  }
  for (const [i, why] of plan.refused) fail(i, `Cannot send to ${spec.title}: ${why}`, false);
  await runPool(plan.requests, spec.concurrency ?? opts.concurrency ?? 4, async function sendPlanned(req) {
    const target = shownUrl(rebase(req.url, opts.baseUrl));
    for (const i of req.events) targets.set(i, target);
    try {
      const res = req.chain
        ? await req.chain((r) => sendApiRequest(r, opts, batch.signal))
        : await sendApiRequest(req, opts, batch.signal);
      const partial = req.partial?.(res) ?? null;
      if (partial) {
        for (const [i, message] of partial) fail(i, `${spec.title} refused the event: ${message}`, false);
        return;
      }
      if (res.status >= 200 && res.status < 300) return;
      const error = describeAnswer(spec.title, res);
      for (const i of req.events) fail(i, error, retryable(res.status));
    } catch (e) {
      const canRetry = e instanceof ApiTransportError ? e.retryable : true;
      for (const i of req.events) fail(i, `${spec.title}: ${(e as Error).message}`, canRetry);
    }
  });
  return batch.events.map((_e, i): WriteResult => {
    const skipped = plan.skipped.get(i);
    if (skipped !== undefined) return { status: "SKIPPED", error: skipped, target: spec.type };
    const f = failures.get(i);
    const base = { target: targets.get(i) ?? spec.type, mappedData: plan.mapped.get(i) };
    return f
      ? { status: "FAILED", error: f.error, retryable: f.retryable, ...base }
      : { status: "SUCCESS", ...base };
  });
}

/** A DestinationDriver for `spec`. */
export function apiDriver<C>(spec: ApiSpec<C>, options: ApiDriverOptions = {}): DestinationDriver {
  // Its own keep-alive connections, closed with the driver (unless a test passed a client).
  const own = options.client ? null : new Http1Client();
  const opts: ApiDriverOptions = own ? { ...options, client: own } : options;
  return {
    type: spec.type,
    modes: ["stream", "batch"],
    async write(batch: WriteBatch): Promise<WriteResult[]> {
      let creds: C;
      try {
        creds = spec.credentials(batch.destination.credentials);
      } catch (e) {
        const error = `Cannot send to ${spec.title}: ${(e as Error).message}`;
        return batch.events.map(() => ({ status: "FAILED", retryable: false, error }));
      }
      let plan: ApiPlan;
      try {
        plan = await spec.plan(batch.events, creds);
      } catch (e) {
        const error = `Cannot map events for ${spec.title}: ${(e as Error).message}`;
        return batch.events.map(() => ({ status: "FAILED", retryable: false, error }));
      }
      return await execute(spec, plan, batch, opts);
    },
    async test(credentials, { signal }): Promise<ApiTestAnswer> {
      let creds: C;
      try {
        creds = spec.credentials(credentials);
      } catch (e) {
        return { ok: false, step: "credentials", error: `${spec.title}: ${(e as Error).message}` };
      }
      try {
        return await spec.test(creds, (req) => sendApiRequest(req, { ...opts, attempts: 1 }, signal));
      } catch (e) {
        return { ok: false, step: "connect", error: `${spec.title}: ${(e as Error).message}` };
      }
    },
    close(): Promise<void> {
      own?.close();
      return Promise.resolve();
    },
  };
}

/** The answer of a test whose call was refused: the API's own words. */
export function refusedTest(title: string, res: ApiResponse): ApiTestAnswer {
  return { ok: false, step: "authenticate", error: describeAnswer(title, res) };
}
