/**
 * Segment proxy: forwards events unchanged to Segment's HTTP tracking API (or a Segment-compatible
 * one) at `apiBase`, in batches (`POST {apiBase}/batch`, write key as the Basic user name). Segment's
 * limits: 32 KB an event, 500 KB a batch request. Segment answers 200 to any write key, so a wrong key
 * shows only in the source's debugger on Segment's side.
 */
import type { PipelineEvent } from "../driver.ts";
import { type ApiPlan, type ApiSpec, basicAuth, chunk, newPlan, refusedTest } from "./api_driver.ts";
import { need, type Obj } from "./event_fields.ts";

export const SEGMENT_DEFAULT_BASE = "https://api.segment.io/v1";
const MAX_EVENT_BYTES = 32 * 1024;
const MAX_BATCH_BYTES = 480 * 1024;
/** Events per batch request, within the 500 KB limit. */
export const SEGMENT_BATCH = 500;
const TYPES = new Set(["track", "page", "screen", "identify", "group", "alias"]);

interface SegmentCreds {
  base: string;
  auth: string;
}

function credentials(raw: Obj): SegmentCreds {
  const base = typeof raw.apiBase === "string" && raw.apiBase
    ? raw.apiBase.replace(/\/+$/, "")
    : SEGMENT_DEFAULT_BASE;
  if (!/^https?:\/\/[^\s]+$/i.test(base)) {
    throw new Error(`field "apiBase" must be an http(s) URL, not ${base}`);
  }
  return { base, auth: basicAuth(need(raw, "writeKey"), "") };
}

function plan(events: PipelineEvent[], c: SegmentCreds): ApiPlan {
  const p = newPlan();
  const items: { record: Obj; event: number }[] = [];
  events.forEach((e, i) => {
    const type = typeof e.type === "string" ? e.type : "track";
    if (!TYPES.has(type)) return p.skipped.set(i, `Segment takes no ${type} events`);
    const record = { ...e, type };
    if (JSON.stringify(record).length > MAX_EVENT_BYTES) {
      return p.refused.set(i, "the event is larger than Segment's 32 KB limit");
    }
    items.push({ record, event: i });
  });
  for (const part of chunk(items, SEGMENT_BATCH, MAX_BATCH_BYTES)) {
    p.requests.push({
      url: `${c.base}/batch`,
      headers: { "content-type": "application/json", authorization: c.auth },
      body: JSON.stringify({ batch: part.map((x) => x.record) }),
      events: part.map((x) => x.event),
    });
  }
  return p;
}

export const SEGMENT: ApiSpec<SegmentCreds> = {
  type: "segment-proxy",
  title: "Segment",
  credentials,
  plan,
  async test(c, send) {
    const res = await send({
      url: `${c.base}/batch`,
      headers: { "content-type": "application/json", authorization: c.auth },
      body: JSON.stringify({ batch: [] }),
    });
    if (res.status !== 200) return refusedTest("Segment", res);
    return {
      ok: true,
      message: `Checked: ${c.base} answers a batch with no events. Not checked: the write key; Segment ` +
        "answers 200 to any key, so only an event seen in the source's debugger proves it.",
    };
  },
};
