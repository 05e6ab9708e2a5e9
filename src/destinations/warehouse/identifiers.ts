/**
 * Identifier hygiene. Every table and column name that reaches SQL went through sanitizeName() (only
 * `[a-z0-9_]`, never empty, never starting with a digit, bounded length) and is then quoted by the
 * dialect, so a property named `x"; drop table events; --` becomes the harmless column
 * `x__drop_table_events____` and cannot end the identifier.
 */

// Events repeat the same few hundred keys: memoise (bounded, so hostile key floods cannot grow it).
const MEMO_LIMIT = 20000;
const sanitized = new Map<string, string>();
const snaked = new Map<string, string>();

function memo(map: Map<string, string>, key: string, compute: () => string): string {
  let out = map.get(key);
  if (out === undefined) {
    out = compute();
    if (map.size >= MEMO_LIMIT) map.clear();
    map.set(key, out);
  }
  return out;
}

/** Lower-cases and replaces anything outside `[a-z0-9_]` with `_`; bounded to `maxLength` bytes. */
export function sanitizeName(name: string, maxLength = 63): string {
  return memo(sanitized, `${maxLength}:${name}`, function sanitize() {
    let out = name.toLowerCase().replace(/[^a-z0-9_]/g, "_");
    if (out === "") out = "_";
    if (/^[0-9]/.test(out)) out = `_${out}`;
    return out.slice(0, maxLength);
  });
}

/** Quotes a sanitised identifier for PostgreSQL (`"name"`, inner quotes doubled as a second guard). */
export function quotePg(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes a sanitised identifier for MySQL/MariaDB (backticks, inner backticks doubled). */
export function quoteMysql(name: string): string {
  return `\`${name.replaceAll("`", "``")}\``;
}

/** camelCase -> snake_case the way Jitsu's segment layouts do (`messageId` -> `message_id`). */
export function toSnakeCase(id: string): string {
  return memo(snaked, id, () => id.replace(/(?<=[a-zA-Z0-9])([A-Z])/g, "_$1").toLowerCase());
}
