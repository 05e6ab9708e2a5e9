/**
 * The API's own error text out of an answer body: APIs put it under different keys (Mixpanel `error`
 * and `failed_records`, Amplitude `error` + `missing_field`, PostHog `detail`, GA4's validation
 * `validationMessages`, Segment `message`), so Live Events show the words the API used.
 */
const MAX = 500;

function str(v: unknown): string | null {
  return typeof v === "string" && v.trim() ? v.trim() : null;
}

function fromObject(o: Record<string, unknown>): string | null {
  const parts: string[] = [];
  const err = o.error;
  if (str(err)) parts.push(str(err)!);
  else if (err && typeof err === "object") {
    const m = str((err as Record<string, unknown>).message);
    if (m) parts.push(m);
  }
  for (const key of ["message", "detail", "error_description", "reason"]) {
    const s = str(o[key]);
    if (s && !parts.includes(s)) parts.push(s);
  }
  if (str(o.missing_field)) parts.push(`missing field ${o.missing_field}`);
  if (Array.isArray(o.errors)) {
    for (const e of o.errors.slice(0, 3)) {
      const s = str(e) ?? (e && typeof e === "object" ? str((e as Record<string, unknown>).message) : null);
      if (s) parts.push(s);
    }
  }
  if (Array.isArray(o.validationMessages)) {
    for (const m of o.validationMessages.slice(0, 3) as Record<string, unknown>[]) {
      const s = str(m?.description);
      if (s) parts.push(`${s}${str(m?.fieldPath) ? ` (${m.fieldPath})` : ""}`);
    }
  }
  return parts.length ? parts.join("; ") : null;
}

/** A short human text for an error answer: the API's message when the body has one, else the body. */
export function apiErrorText(body: string, status: number): string {
  const text = body.trim();
  if (!text) return `(empty body, HTTP ${status})`;
  try {
    const parsed = JSON.parse(text);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
      const found = fromObject(parsed as Record<string, unknown>);
      if (found) return found.slice(0, MAX);
    }
  } catch {
    // Not JSON: the text itself is the message.
  }
  return text.slice(0, MAX);
}
