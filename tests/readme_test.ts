/** The README is the day-one guide: the two commands up top, a table of contents reaching every docs/ page. */
import assert from "node:assert/strict";

const root = new URL("../", import.meta.url);

async function read(path: string): Promise<string> {
  return await Deno.readTextFile(new URL(path, root));
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-");
}

function anchors(markdown: string): Set<string> {
  const withoutCode = markdown.replace(/^```[\s\S]*?^```/gm, "");
  return new Set([...withoutCode.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1])));
}

async function docPages(): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(new URL("docs/", root))))
    .filter((e) => e.isFile && e.name.endsWith(".md"))
    .map((e) => `docs/${e.name}`)
    .sort();
}

function contents(readme: string): string {
  const start = readme.indexOf("\n## Contents\n");
  assert.ok(start >= 0, "README has a Contents section");
  return readme.slice(start, readme.indexOf("\n## ", start + 1));
}

Deno.test("README names both first commands, deno task start and deno task test, in its first 40 lines", async () => {
  const top = (await read("README.md")).split("\n").slice(0, 40).join("\n");
  assert.match(top, /^deno task start\b/m);
  assert.match(top, /^deno task test\b/m);
});

Deno.test("README's Contents links every page in docs/", async () => {
  const toc = contents(await read("README.md"));
  const pages = await docPages();
  assert.ok(pages.length >= 7, "docs/ holds the pages moved out of the README");
  const unlinked = pages.filter((p) => !toc.includes(`](${p})`) && !toc.includes(`](${p}#`));
  assert.deepEqual(unlinked, [], "docs pages missing from README's Contents");
});

Deno.test("every #anchor link in README.md and docs/*.md names a heading of its page", async () => {
  const files = ["README.md", ...(await docPages())];
  const broken: string[] = [];
  for (const file of files) {
    const text = await read(file);
    for (const m of text.matchAll(/\]\(([^)\s#]*)#([^)\s]+)\)/g)) {
      const target = m[1] === "" ? file : new URL(m[1], new URL(file, "file:///r/")).pathname.slice(3);
      if (!target.endsWith(".md")) continue;
      let page: string;
      try {
        page = await read(target);
      } catch {
        continue; // a missing page is tests/docs_paths_test.ts's finding
      }
      if (!anchors(page).has(m[2])) broken.push(`${target}#${m[2]} (linked from ${file})`);
    }
  }
  assert.deepEqual(broken, [], "links to headings that do not exist");
});

Deno.test("README stays a day-one guide of about 20 KB", async () => {
  const size = new TextEncoder().encode(await read("README.md")).length;
  assert.ok(size <= 21_000, `README.md is ${size} bytes: move reference material to docs/ and link it`);
});
