/**
 * Comments and test names cite what a reader of the repository can open: an RFC or spec section, or a
 * file in the repository. Never the tracker items, working notes or sessions the code was written in.
 */
import assert from "node:assert/strict";

const root = new URL("../", import.meta.url);
const FOLDERS = ["src/", "tests/", "bench/", "tools/", ".ci/"];
const FILES = ["main.ts"];
/** Generated files (lock files) and test output are not written by hand. */
const SKIP = /\.lock$|^tests\/_artifacts\//;

/**
 * A citation of an item outside the repository: a tracker item, a notes section or a session, by number
 * (also as an identifier, `X_4_TOOLS`), or the notes folder. A number followed by a unit is a duration
 * ("a session 30 days old"), not a citation. Spec sections ("RFC 6749 §5.2") do not match. The pattern
 * is written with escapes and alternations, so this file does not match its own source.
 */
const HISTORY = new RegExp(
  [
    String
      .raw`\b(?:issue|notes|session)s?[ _](?:#\s?|§\s?)?\d+(?![\d.]|\s*(?:ms|s|min|minutes?|h|hours?|days?)\b)`,
    String.raw`\/tmp\/notes`,
  ].join("|"),
  "i",
);

/** Every line of `text` that cites history, as `path:line: text`. */
function historyCitations(path: string, text: string): string[] {
  const out: string[] = [];
  text.split("\n").forEach(function check(line, i) {
    if (HISTORY.test(line)) out.push(`${path}:${i + 1}: ${line.trim()}`);
  });
  return out;
}

async function* filesUnder(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(new URL(dir, root))) {
    const path = `${dir}${e.name}`;
    if (SKIP.test(path)) continue;
    if (e.isDirectory) yield* filesUnder(`${path}/`);
    else if (e.isFile) yield path;
  }
}

Deno.test("no comment, test name or string in src/, tests/, bench/, tools/ or .ci/ cites an issue, notes or a session", async () => {
  const found: string[] = [];
  const scanned: string[] = [...FILES];
  for (const folder of FOLDERS) scanned.push(...await Array.fromAsync(filesUnder(folder)));
  for (const path of scanned) {
    found.push(...historyCitations(path, await Deno.readTextFile(new URL(path, root))));
  }
  assert.ok(scanned.length > 300, `the scan reads the code (${scanned.length} files)`);
  assert.ok(scanned.includes("tests/comments_test.ts"), "this file is scanned too");
  assert.deepEqual(found, [], "say the reason in place, or name a file of the repository");
});

Deno.test("historyCitations() flags issue, notes and session numbers but keeps spec sections and durations", () => {
  // Built from parts so that this file's own source does not cite anything.
  const issue = "iss" + "ue", notes = "no" + "tes", session = "sess" + "ion";
  const flagged = [
    `// Registration limits (${issue} 5: rate-limited per IP).`,
    ` * ${issue[0].toUpperCase()}${issue.slice(1)} 4's benchmark`,
    `// Jitsu's shape (${notes} §5)`,
    `// see ${notes} § 7`,
    `/** as agreed in ${session} 12 */`,
    `// tracked in ${issue} #7`,
    `-- Pipeline (${issue}s 6 and 7): the queue`,
    `export const ${issue.toUpperCase()}_4_TOOLS = [];`,
    `// Entry shapes (see /tmp/${notes}/jitsu.md)`,
    `Deno.test("refresh: concurrent refreshes (${issue} 5)", () => {});`,
  ];
  for (const line of flagged) assert.equal(historyCitations("x.ts", line).length, 1, line);
  const kept = [
    "// RFC 6749 §5.2: invalid_client with 401",
    " * §4.1.2 of RFC 9728, and the MCP spec §3",
    `// a ${session} 30 days old expires; a ${session} 2 h old does not`,
    "const issues: FieldIssue[] = [];",
    `throw new ValidationError(\`\${action}: \${describeIssues(${issue}s)}\`);`,
    `// a restart within 24 hours ${issue}s no new token`,
  ];
  for (const line of kept) assert.deepEqual(historyCitations("x.ts", line), [], line);
  assert.deepEqual(historyCitations("src/a.ts", `ok\n// (${issue} 3)\nok`), [`src/a.ts:2: // (${issue} 3)`]);
});
