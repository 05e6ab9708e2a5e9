/**
 * Every repository path that the README, docs/ or a comment in src/ names exists, so a moved or renamed
 * file cannot leave a reader looking for it.
 */
import assert from "node:assert/strict";

const root = new URL("../", import.meta.url);

/** A path from one of these top-level folders; not when it is the tail of a URL or of another path. */
function pathPattern(roots: string[]): RegExp {
  return new RegExp(`(?<![\\w./-])(?:${roots.map((r) => r.replace(".", "\\.")).join("|")})/[\\w./-]*`, "g");
}
const DOC_PATH = pathPattern(["src", "tests", "docs", "bench", "tools", ".ci"]);
const COMMENT_PATH = pathPattern(["src", "docs"]);
/** A folder (trailing slash) or a file (an extension): `tools/call` is an MCP method, not a path. */
const PATH_SHAPE = /\/$|\.\w+$/;
/** A token with one of these is a pattern or a placeholder (`tools/<tool>.ts`, `NNNN_*.sql`), not a path. */
const PLACEHOLDER = /[<>*{}$]|NNNN/;

type Mention = { path: string; where: string };

/** Markdown without its fenced code blocks (their paths are commands' arguments, checked by the tests). */
function prose(markdown: string): string[] {
  const lines = markdown.split("\n");
  let fenced = false;
  return lines.map((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return "";
    }
    return fenced ? "" : line;
  });
}

function trimPath(token: string): string {
  return token.replace(/[.,:;]+$/, "");
}

/** Paths in a markdown file: relative link targets (from the file's folder) and backticked paths. */
function markdownMentions(file: string, markdown: string): Mention[] {
  const folder = file.includes("/") ? file.slice(0, file.lastIndexOf("/") + 1) : "";
  const found: Mention[] = [];
  prose(markdown).forEach((line, i) => {
    const where = `${file}:${i + 1}`;
    for (const m of line.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1].replace(/#.*$/, "");
      if (target === "" || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // an anchor or a URL
      const resolved = new URL(target, new URL(folder, "file:///r/")).pathname.slice("/r/".length);
      found.push({ path: resolved, where });
    }
    for (const m of line.matchAll(/`([^`]+)`/g)) {
      if (PLACEHOLDER.test(m[1])) continue;
      for (const p of m[1].matchAll(DOC_PATH)) {
        const path = trimPath(p[0]);
        if (PATH_SHAPE.test(path)) found.push({ path, where });
      }
    }
  });
  return found;
}

/** Paths named in the comments of a TypeScript file. */
function commentMentions(file: string, source: string): Mention[] {
  const found: Mention[] = [];
  let inBlock = false;
  source.split("\n").forEach((line, i) => {
    let comment = "";
    const trimmed = line.trim();
    if (inBlock || trimmed.startsWith("/*")) {
      comment = line;
      inBlock = !line.includes("*/");
    } else if (trimmed.startsWith("//")) {
      comment = line;
    } else {
      const at = line.indexOf(" // ");
      if (at >= 0) comment = line.slice(at);
    }
    for (const token of comment.split(/\s+/)) {
      if (PLACEHOLDER.test(token)) continue;
      for (const p of token.matchAll(COMMENT_PATH)) {
        const path = trimPath(p[0]);
        if (PATH_SHAPE.test(path)) found.push({ path, where: `${file}:${i + 1}` });
      }
    }
  });
  return found;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(new URL(path, root));
    return true;
  } catch {
    return false;
  }
}

async function* files(dir: string, pattern: RegExp): AsyncGenerator<string> {
  for await (const e of Deno.readDir(new URL(dir, root))) {
    const path = `${dir}${e.name}`;
    if (e.isDirectory) yield* files(`${path}/`, pattern);
    else if (pattern.test(e.name)) yield path;
  }
}

async function missing(mentions: Mention[]): Promise<string[]> {
  const out: string[] = [];
  for (const m of mentions) if (!(await exists(m.path))) out.push(`${m.path} (named in ${m.where})`);
  return out;
}

Deno.test("every repository path linked or backticked in README.md and docs/*.md exists", async () => {
  const mentions: Mention[] = [];
  for (const file of ["README.md", ...(await Array.fromAsync(files("docs/", /\.md$/)))]) {
    mentions.push(...markdownMentions(file, await Deno.readTextFile(new URL(file, root))));
  }
  assert.ok(mentions.length > 20, "the docs name paths (the scan finds them)");
  assert.deepEqual(await missing(mentions), [], "paths named in the docs that do not exist");
});

Deno.test("every src/ or docs/ path named in a comment in src/ exists", async () => {
  const mentions: Mention[] = [];
  for await (const file of files("src/", /\.tsx?$/)) {
    mentions.push(...commentMentions(file, await Deno.readTextFile(new URL(file, root))));
  }
  assert.deepEqual(await missing(mentions), [], "paths named in comments that do not exist");
});

Deno.test("markdownMentions() finds relative links and backticked paths, skips URLs, code blocks and patterns", () => {
  const md = [
    "See [pipeline](pipeline.md#live-events), [home](../README.md) and [site](https://example.com/src/x.ts).",
    "The bench client is `bench/_http.ts`; migrations are `src/store/migrations/NNNN_*.sql`.",
    "```sh",
    "cat src/not_checked.ts",
    "```",
    "A [section](#first-run) and `tests/oauth/` too.",
  ].join("\n");
  assert.deepEqual(markdownMentions("docs/x.md", md), [
    { path: "docs/pipeline.md", where: "docs/x.md:1" },
    { path: "README.md", where: "docs/x.md:1" },
    { path: "bench/_http.ts", where: "docs/x.md:2" },
    { path: "tests/oauth/", where: "docs/x.md:6" },
  ]);
});

Deno.test("commentMentions() reads line and block comments, not code", () => {
  const ts = [
    'const a = "src/in_a_string.ts";',
    "/**",
    " * Figures: docs/performance.md.",
    " */",
    "f(); // see src/store/db.ts",
    "// tools/<tool>.ts is a pattern",
  ].join("\n");
  assert.deepEqual(commentMentions("src/x.ts", ts), [
    { path: "docs/performance.md", where: "src/x.ts:3" },
    { path: "src/store/db.ts", where: "src/x.ts:5" },
  ]);
});
