/**
 * June stand-in, after June's SDK API: `POST /sdk/{track,identify,group}` with `Authorization: Basic
 * <write key>` (the key itself, not base64 of key:); a wrong key is a 401 `{"error": "..."}`, a track
 * without `event` or without `userId`/`anonymousId` a 400; success is 200 `{"success": true}`.
 */
import { type Answer, type Seen, type StandIn, startStandIn } from "./server.ts";

export const JUNE_KEY = "june-write-key-01";

export interface JuneStandIn extends StandIn {
  calls: { type: string; body: Record<string, unknown> }[];
}

export function juneStandIn(): JuneStandIn {
  const calls: { type: string; body: Record<string, unknown> }[] = [];
  function call(r: Seen, type: string): Answer {
    if (r.headers.get("authorization") !== `Basic ${JUNE_KEY}`) {
      return { status: 401, json: { error: "Invalid write key" } };
    }
    const b = r.json ?? {};
    if (!b.userId && !b.anonymousId) {
      return { status: 400, json: { error: "userId or anonymousId is required" } };
    }
    if (type === "track" && !b.event) return { status: 400, json: { error: "event is required" } };
    calls.push({ type, body: b });
    return { status: 200, json: { success: true } };
  }
  const s = startStandIn(function june(r) {
    const m = /^\/sdk\/(track|identify|group)$/.exec(r.path);
    if (r.method === "POST" && m) return call(r, m[1]);
    return { status: 404, text: "Not Found" };
  });
  return Object.assign(s, { calls });
}
