/**
 * The modules of src/ import each other without cycles (type-only imports included): a cycle means two
 * areas cannot be understood, tested or moved apart, and Deps-shaped cycles hide in-process state.
 */
import assert from "node:assert/strict";

const root = new URL("../", import.meta.url);
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\b[^"'`;]*?from\s*["'](\.{1,2}\/[^"']+)["']|import\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g;

async function sourceFiles(dir: URL, into: string[] = []): Promise<string[]> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) await sourceFiles(url, into);
    else if (/\.tsx?$/.test(entry.name)) into.push(url.href);
  }
  return into;
}

/** Each file's relative imports, resolved to file URLs. */
export function importsOf(fileUrl: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) out.push(new URL(m[1] ?? m[2], fileUrl).href);
  return out;
}

/** One cycle per strongly connected loop found by depth-first search, as a list of files. */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const cycles: string[][] = [];
  function visit(node: string) {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === "open") cycles.push(stack.slice(stack.indexOf(next)).concat(next));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  }
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

Deno.test("findCycles() finds a cycle through type-only imports and none in a tree", () => {
  const a = "file:///a.ts", b = "file:///b.ts", c = "file:///c.ts";
  const text = 'import type { X } from "./b.ts";\nimport { y } from "./c.ts";';
  assert.deepEqual(importsOf(a, text), [b, c]);
  assert.deepEqual(findCycles(new Map([[a, [b, c]], [b, [c]], [c, []]])), []);
  assert.deepEqual(findCycles(new Map([[a, [b]], [b, [c]], [c, [a]]])), [[a, b, c, a]]);
});

Deno.test("src/ has no import cycles", async () => {
  const files = await sourceFiles(new URL("src/", root));
  const graph = new Map<string, string[]>();
  for (const f of files) graph.set(f, importsOf(f, await Deno.readTextFile(new URL(f))));
  const rel = (u: string) => u.slice(root.href.length);
  const cycles = findCycles(graph).map((c) => c.map(rel).join(" -> "));
  assert.deepEqual(cycles, [], `import cycles in src/:\n${cycles.join("\n")}`);
});
