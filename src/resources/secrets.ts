import type { FieldIssue } from "../errors.ts";
import { MASKED } from "./base.ts";

/**
 * Where secrets live in an object: a dot path where `*` matches one key or index and a final `**`
 * matches every leaf below. `header` marks an array of `Name: value` strings whose values are secret
 * (webhook headers): the name stays visible, the value is masked.
 */
export interface SecretRule {
  path: string;
  header?: boolean;
}

export type Path = (string | number)[];

/** A secret taken out of an object: where it was and its real value. */
export type SecretEntry = [Path, unknown];

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function ruleMatches(rule: SecretRule, path: Path, value: unknown): boolean {
  const pattern = rule.path.split(".");
  const deep = pattern[pattern.length - 1] === "**";
  const fixed = deep ? pattern.slice(0, -1) : pattern;
  if (deep ? path.length <= fixed.length : path.length !== fixed.length) return false;
  if (deep && (isPlainObject(value) || Array.isArray(value))) return false;
  return fixed.every((seg, i) => seg === "*" || seg === String(path[i]));
}

function findRule(rules: SecretRule[], path: Path, value: unknown): SecretRule | undefined {
  return rules.find((r) => ruleMatches(r, path, value));
}

function headerName(h: string): string {
  const i = h.indexOf(":");
  return (i < 0 ? h : h.slice(0, i)).trim().toLowerCase();
}

function maskHeader(h: string): string {
  const i = h.indexOf(":");
  return i < 0 ? MASKED : `${h.slice(0, i)}: ${MASKED}`;
}

/**
 * Replaces every secret in `obj` with the sentinel and returns the real values beside it. Empty values
 * stay as they are: there is nothing to hide and a client can see that none is set.
 */
export function splitSecrets(
  obj: Record<string, unknown>,
  rules: SecretRule[],
): { masked: Record<string, unknown>; secrets: SecretEntry[] } {
  const secrets: SecretEntry[] = [];
  function walk(value: unknown, path: Path): unknown {
    const rule = path.length ? findRule(rules, path, value) : undefined;
    if (rule) {
      if (value === undefined || value === null || value === "") return value;
      secrets.push([path, value]);
      return rule.header && typeof value === "string" ? maskHeader(value) : MASKED;
    }
    if (Array.isArray(value)) return value.map((x, i) => walk(x, [...path, i]));
    if (isPlainObject(value)) {
      return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, walk(x, [...path, k])]));
    }
    return value;
  }
  return { masked: walk(obj, []) as Record<string, unknown>, secrets };
}

/** Puts the real values back into a masked object: the inverse of {@linkcode splitSecrets}. */
export function joinSecrets(
  masked: Record<string, unknown>,
  secrets: SecretEntry[],
): Record<string, unknown> {
  const out = structuredClone(masked);
  for (const [path, value] of secrets) setPath(out, path, value);
  return out;
}

/** Reads a value at a path; undefined when any step is missing. */
export function getPath(obj: unknown, path: Path): unknown {
  let cur = obj;
  for (const seg of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

function setPath(obj: Record<string, unknown>, path: Path, value: unknown): void {
  let cur: Record<string | number, unknown> = obj;
  for (let i = 0; i < path.length - 1; i++) {
    const next = cur[path[i]];
    if (next === null || typeof next !== "object") return;
    cur = next as Record<string | number, unknown>;
  }
  cur[path[path.length - 1]] = value;
}

/**
 * Where a client sent the sentinel back at a secret path, puts the stored value in its place (Jitsu's
 * rule: the sentinel means "keep what you have"). A header keeps the stored header of the same name.
 * A sentinel with nothing stored behind it is an issue: the client must send the real value.
 */
export function restoreMasked(
  patch: Record<string, unknown>,
  stored: Record<string, unknown>,
  rules: SecretRule[],
): { value: Record<string, unknown>; issues: FieldIssue[]; kept: string[] } {
  const issues: FieldIssue[] = [];
  const kept: string[] = [];
  function walk(value: unknown, path: Path): unknown {
    const rule = path.length ? findRule(rules, path, value) : undefined;
    if (rule && typeof value === "string" && rule.header && value.endsWith(MASKED)) {
      const list = getPath(stored, path.slice(0, -1));
      const name = headerName(value);
      const found = Array.isArray(list)
        ? list.find((h) => typeof h === "string" && headerName(h) === name)
        : undefined;
      if (found !== undefined) {
        kept.push(path.join("."));
        return found;
      }
      issues.push({ path: path.join("."), message: `masked, but no stored header "${name}" to keep` });
      return value;
    }
    if (rule && value === MASKED) {
      const old = getPath(stored, path);
      if (old !== undefined && old !== null && old !== MASKED) {
        kept.push(path.join("."));
        return old;
      }
      issues.push({
        path: path.join("."),
        message: "masked, but no value is stored here: send the real value",
      });
      return value;
    }
    if (Array.isArray(value)) return value.map((x, i) => walk(x, [...path, i]));
    if (isPlainObject(value)) {
      return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, walk(x, [...path, k])]));
    }
    return value;
  }
  return { value: walk(patch, []) as Record<string, unknown>, issues, kept };
}

/**
 * Fields that decide where a secret is sent. A kept (masked) secret may only go where it went before:
 * otherwise anyone with write access could point a destination at their own server, send the sentinel
 * back and receive the stored secret (the test endpoint or the next delivery would hand it over).
 */
export const SECRET_TARGET_FIELDS = [
  "destinationType",
  "host",
  "hosts",
  "port",
  "url",
  "endpoint",
  "account",
  "apiBase",
];

function sameTarget(a: unknown, b: unknown): boolean {
  const norm = (x: unknown) => x === undefined || x === null || x === "" ? "" : JSON.stringify(String(x));
  if (Array.isArray(a) || Array.isArray(b)) return JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
  return norm(a) === norm(b);
}

/**
 * Issues when `kept` (paths where a stored secret was restored) is not empty and `next` sends it to a
 * different target than `stored` did: the client must re-enter the secret to send it somewhere new.
 */
export function retargetedSecretIssues(
  kept: string[],
  next: Record<string, unknown>,
  stored: Record<string, unknown>,
): FieldIssue[] {
  if (kept.length === 0) return [];
  const changed = SECRET_TARGET_FIELDS.filter((f) => !sameTarget(next[f], stored[f]));
  if (changed.length === 0) return [];
  return kept.map((path) => ({
    path,
    message: `masked, but ${changed.join(", ")} changed: re-enter the secret to send it to the new target`,
  }));
}
