/**
 * How deep JSON may nest anywhere a body is parsed (REST, MCP, ingest). Real events and configurations
 * stay far below it, and deeper values overflow the stack of every recursive walk downstream
 * (structuredClone, validation, PostgreSQL's jsonb).
 */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Whether JSON `text` nests objects and arrays deeper than `max`: one iterative pass over the text
 * (no recursion, so any input is safe), brackets inside strings ignored. Run it before JSON.parse's
 * result reaches any recursive code; on malformed text it answers for the brackets it saw.
 */
export function nestsDeeperThan(text: string, max: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === QUOTE) {
      i = stringEnd(text, i);
      if (i < 0) return false;
    } else if (ch === OPEN_BRACE || ch === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (ch === CLOSE_BRACE || ch === CLOSE_BRACKET) depth--;
  }
  return false;
}

/** Index of the quote closing the string opened at `start` (-1 if none): native searches, not a char loop. */
function stringEnd(text: string, start: number): number {
  let at = start + 1;
  while (true) {
    const quote = text.indexOf('"', at);
    if (quote < 0) return -1;
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
    at = quote + 1;
  }
}

/** The message every refusal of a too-deep body carries. */
export function tooDeepMessage(max: number = MAX_JSON_DEPTH): string {
  return `The JSON nests deeper than ${max} levels (objects and arrays inside each other); flatten it`;
}
