/**
 * The licence table of docs/licences.md: how tools/licences.ts writes it and how the test reads it back.
 * Pure functions, no I/O, so the test runs offline.
 */

export type LicenceRow = {
  name: string;
  version: string;
  licence: string;
  use: "runtime" | "bundled" | "test/dev";
  direct: boolean;
};

/**
 * Licences that let an MIT-licensed program use, bundle and redistribute the package without conditions
 * beyond keeping its notice. Anything else (GPL, AGPL, LGPL, MPL, unknown) is flagged for a person to read.
 */
const PERMISSIVE = new Set([
  "0BSD",
  "Apache-2.0",
  "BlueOak-1.0.0",
  "BSD-2-Clause",
  "BSD-3-Clause",
  "CC0-1.0",
  "ISC",
  "MIT",
  "MIT-0",
  "Python-2.0",
  "Unlicense",
]);

/** Whether an SPDX expression is permissive: one permissive choice of an OR, every part of an AND. */
export function isPermissive(expression: string): boolean {
  const e = expression.trim().replace(/^\((.*)\)$/, "$1").trim();
  if (/ OR /i.test(e)) return e.split(/ OR /i).some(isPermissive);
  if (/ AND /i.test(e)) return e.split(/ AND /i).every(isPermissive);
  return PERMISSIVE.has(e);
}

/** `@scope/name@1.2.3_peer@4.5.6` (a deno.lock npm key) -> name and version. */
export function parseLockKey(key: string): { name: string; version: string } {
  const at = key.indexOf("@", 1);
  if (at < 0) throw new Error(`Cannot read the deno.lock npm key "${key}": no version`);
  return { name: key.slice(0, at), version: key.slice(at + 1).split("_")[0] };
}

const START = "<!-- licences-table -->";
const END = "<!-- /licences-table -->";

/** The whole docs/licences.md page for these packages. */
export function renderLicences(rows: LicenceRow[]): string {
  const sorted = [...rows].sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
  const flagged = sorted.filter((r) => !isPermissive(r.licence));
  const runtime = sorted.filter((r) => r.use !== "test/dev").length;
  const lines = [
    "# Licences of the dependencies",
    "",
    "Sluice is MIT-licensed (see [LICENSE](../LICENSE)). This page lists every npm package in `deno.lock` with",
    "the licence the npm registry records for that exact version. _runtime_ packages are reachable from",
    "`main.ts` (the server, the CLI and the compiled binary include them); _bundled_ packages are built into a",
    "file Sluice serves (`/p.js`, by `deno task pjs`); _test/dev_ packages are used only by",
    "the tests, benchmarks or `.ci/` scripts and are never shipped. _direct_ marks the packages named in",
    "`deno.json`'s `imports`.",
    "",
    "Regenerate it after adding or upgrading a package: `deno run --allow-all tools/licences.ts` (it calls",
    "`npm view NAME@VERSION license` for each package). `tests/docs_licences_test.ts` fails when a package of",
    "`deno.json` or `deno.lock` is missing here, or when a runtime package's licence is not permissive.",
    "",
    `${sorted.length} packages, ${runtime} of them at run time or bundled.`,
    "",
    "## Not plainly permissive",
    "",
    flagged.length === 0
      ? "None: every package is under MIT, ISC, BSD, Apache-2.0, 0BSD, BlueOak, CC0, Python-2.0 or the Unlicense."
      : flagged.map((r) => `- \`${r.name}@${r.version}\` (${r.use}): ${r.licence}`).join("\n"),
    "",
    "Permissive licences still ask for something: whoever redistributes a package (the compiled binary and the",
    "Docker image contain the runtime packages) keeps its copyright and licence notice, and for Apache-2.0 also",
    "its NOTICE file if it has one.",
    "",
    "## Packages",
    "",
    START,
    "",
    "| package | version | licence | used | direct |",
    "| --- | --- | --- | --- | --- |",
    ...sorted.map((r) =>
      `| \`${r.name}\` | ${r.version} | ${r.licence} | ${r.use} | ${r.direct ? "yes" : ""} |`
    ),
    "",
    END,
    "",
  ];
  return lines.join("\n");
}

/** Reads the rows back from docs/licences.md (whatever column padding `deno fmt` gave them). */
export function parseLicences(markdown: string): LicenceRow[] {
  const start = markdown.indexOf(START);
  const end = markdown.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/licences.md has no ${START} ... ${END} block`);
  const rows: LicenceRow[] = [];
  for (const line of markdown.slice(start + START.length, end).split("\n")) {
    const cells = line.split("|").slice(1, -1).map((c) => c.trim());
    if (cells.length !== 5 || cells[0] === "package" || /^-+$/.test(cells[0])) continue;
    rows.push({
      name: cells[0].replace(/^`|`$/g, ""),
      version: cells[1],
      licence: cells[2],
      use: cells[3] === "runtime" || cells[3] === "bundled" ? cells[3] : "test/dev",
      direct: cells[4] === "yes",
    });
  }
  return rows;
}
