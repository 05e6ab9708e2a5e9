/**
 * Rewrites docs/licences.md from deno.lock and tests/deno.lock: every npm package with its licence as npm reports it, and
 * whether the server needs it at run time. `deno run --allow-all tools/licences.ts` (calls `npm view` once
 * per package and `deno info` on main.ts). tests/docs_licences_test.ts reads the result without the network.
 */
import { isPermissive, type LicenceRow, parseLockKey, renderLicences } from "./licences_table.ts";

const root = new URL("../", import.meta.url);

/**
 * The npm packages of both locks as `name@version` keys (peer suffixes kept, as `deno info` names them):
 * deno.lock holds what the server installs, tests/deno.lock what the test task adds (see deno.json).
 */
async function lockPackages(): Promise<string[]> {
  const keys = new Set<string>();
  for (const file of ["deno.lock", "tests/deno.lock"]) {
    const lock = JSON.parse(await Deno.readTextFile(new URL(file, root)));
    for (const key of Object.keys(lock.npm ?? {})) keys.add(key);
  }
  return [...keys].sort();
}

/** npm package ids reachable from main.ts: its npm imports and everything they depend on. */
async function runtimePackages(): Promise<Set<string>> {
  const out = await new Deno.Command("deno", {
    args: ["info", "--json", "main.ts"],
    cwd: root,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error("deno info --json main.ts failed");
  const info = JSON.parse(new TextDecoder().decode(out.stdout));
  const packages: Record<string, { dependencies: string[] }> = info.npmPackages;
  const byNameVersion = new Map<string, string>();
  for (const id of Object.keys(packages)) {
    const { name, version } = parseLockKey(id);
    byNameVersion.set(`${name}@${version}`, id);
  }
  const todo: string[] = [];
  for (const m of info.modules as { kind?: string; specifier: string }[]) {
    if (m.kind !== "npm") continue;
    const spec = /^npm:\/?((?:@[^/]+\/)?[^@/]+@[^/]+)/.exec(m.specifier)?.[1];
    const id = spec ? byNameVersion.get(spec) ?? spec : undefined;
    if (id) todo.push(id);
  }
  const seen = new Set<string>();
  while (todo.length > 0) {
    const id = todo.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    todo.push(...(packages[id]?.dependencies ?? []));
  }
  return seen;
}

/** The licence npm's registry records for one version; "unknown" when it records none. */
/**
 * npm package ids built into /p.js (tools/build_p_js.ts bundles `@jitsu/js`) and into the console's code
 * editor (tools/build_editor_js.ts bundles CodeMirror): the packages and what they depend on, as deno.lock
 * records them.
 */
async function bundledPackages(): Promise<Set<string>> {
  const lock = JSON.parse(await Deno.readTextFile(new URL("deno.lock", root)));
  const npm: Record<string, { dependencies?: string[] }> = lock.npm ?? {};
  const keys = Object.keys(npm);
  const byName = (dep: string) =>
    keys.find((k) => k === dep) ?? keys.find((k) => parseLockKey(k).name === dep);
  const roots = ["@jitsu/js", "codemirror", "@codemirror/lang-javascript"];
  const todo = keys.filter((k) => roots.includes(parseLockKey(k).name));
  const seen = new Set<string>();
  while (todo.length > 0) {
    const id = todo.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const dep of npm[id]?.dependencies ?? []) {
      const key = byName(dep);
      if (key) todo.push(key);
    }
  }
  return seen;
}

async function npmLicence(name: string, version: string): Promise<string> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const out = await new Deno.Command("npm", {
      args: ["view", `${name}@${version}`, "license", "--json"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (out.success) {
      const text = new TextDecoder().decode(out.stdout).trim();
      if (text === "") return "unknown";
      const value = JSON.parse(text);
      if (typeof value === "string") return value;
      if (value && typeof value.type === "string") return value.type;
      return "unknown";
    }
    await new Promise((resolve) => setTimeout(resolve, 1000 * (attempt + 1)));
  }
  throw new Error(`npm view ${name}@${version} license failed three times`);
}

async function main() {
  const direct = JSON.parse(await Deno.readTextFile(new URL("deno.json", root))).imports as Record<
    string,
    string
  >;
  const directIds = new Set(
    Object.values(direct).flatMap((s) => /^npm:\/?(.+?)\/?$/.exec(s)?.[1] ?? []),
  );
  const runtime = await runtimePackages();
  const bundled = await bundledPackages();
  const rows: LicenceRow[] = [];
  for (const key of await lockPackages()) {
    const { name, version } = parseLockKey(key);
    const licence = await npmLicence(name, version);
    rows.push({
      name,
      version,
      licence,
      use: runtime.has(key) ? "runtime" : bundled.has(key) ? "bundled" : "test/dev",
      direct: directIds.has(`${name}@${version}`),
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const path = new URL("docs/licences.md", root);
  await Deno.writeTextFile(path, renderLicences(rows));
  // deno fmt pads the table's columns; formatting here keeps `deno fmt --check` green after a regeneration.
  await new Deno.Command("deno", { args: ["fmt", "docs/licences.md"], cwd: root, stderr: "null" }).output();
  const flagged = rows.filter((r) => !isPermissive(r.licence));
  console.log(`docs/licences.md: ${rows.length} packages, ${flagged.length} not plainly permissive`);
  for (const r of flagged) console.log(`  ${r.name}@${r.version}: ${r.licence} (${r.use})`);
}

if (import.meta.main) await main();
