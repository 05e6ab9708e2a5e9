function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/**
 * A merge patch: objects merge key by key, anything else (arrays included) replaces, and `null`
 * removes the key (RFC 7396), so a client can clear an optional field.
 */
export function deepMerge(
  base: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, x] of Object.entries(patch)) {
    if (x === undefined) continue;
    if (x === null) delete out[k];
    else if (isPlainObject(x) && isPlainObject(out[k])) {
      out[k] = deepMerge(out[k] as Record<string, unknown>, x);
    } else out[k] = x;
  }
  return out;
}
