/**
 * Braze stand-in, after Braze's REST reference: `POST /users/track` and `/users/identify` with
 * `Authorization: Bearer <REST key>`; a wrong key is a 401 `{"message": "Invalid API key: ..."}`; more
 * than 75 attributes, events or purchases a 400; an item without an identifier is refused in `errors`
 * (`{type, input_array, index}`) of a 201 whose other items are processed; an event needs `name` and
 * `time`, a purchase `product_id`, `currency`, `price` and `time`. An empty request is a 400 that records
 * nothing.
 */
import { type Answer, type Seen, type StandIn, startStandIn } from "./server.ts";

export const BRAZE_KEY = "braze-rest-key-0123";

export interface BrazeStandIn extends StandIn {
  attributes: Record<string, unknown>[];
  events: Record<string, unknown>[];
  purchases: Record<string, unknown>[];
  identified: Record<string, unknown>[];
}

const IDS = ["external_id", "user_alias", "braze_id", "email", "phone"];
const REQUIRED: Record<string, string[]> = {
  attributes: [],
  events: ["name", "time"],
  purchases: ["product_id", "currency", "price", "time"],
};

export function brazeStandIn(): BrazeStandIn {
  const store = {
    attributes: [] as Record<string, unknown>[],
    events: [] as Record<string, unknown>[],
    purchases: [] as Record<string, unknown>[],
  };
  const identified: Record<string, unknown>[] = [];
  function track(r: Seen): Answer {
    const errors: Record<string, unknown>[] = [];
    let processed = 0;
    for (const kind of ["attributes", "events", "purchases"] as const) {
      const list = r.json?.[kind] ?? [];
      if (list.length > 75) {
        return { status: 400, json: { message: `Too many ${kind}: at most 75 per request` } };
      }
      list.forEach((item: Record<string, unknown>, index: number) => {
        const missing = REQUIRED[kind].find((f) => item[f] === undefined);
        if (!IDS.some((k) => item[k] !== undefined)) {
          errors.push({ type: "User identifier is missing", input_array: kind, index });
        } else if (missing) errors.push({ type: `'${missing}' is required`, input_array: kind, index });
        else {
          store[kind].push(item);
          processed++;
        }
      });
    }
    if (processed === 0 && errors.length === 0) {
      return {
        status: 400,
        json: { message: "Received unparseable request: no attributes, events or purchases" },
      };
    }
    return { status: 201, json: { message: "success", ...(errors.length ? { errors } : {}) } };
  }
  const s = startStandIn(function braze(r) {
    if (r.headers.get("authorization") !== `Bearer ${BRAZE_KEY}`) {
      return { status: 401, json: { message: "Invalid API key: the API key is not valid" } };
    }
    if (r.method === "POST" && r.path === "/users/track") return track(r);
    if (r.method === "POST" && r.path === "/users/identify") {
      identified.push(...(r.json?.aliases_to_identify ?? []));
      return {
        status: 201,
        json: { message: "success", aliases_processed: r.json?.aliases_to_identify?.length ?? 0 },
      };
    }
    return { status: 404, text: "Not Found" };
  });
  return Object.assign(s, { ...store, identified });
}
