import { SETTINGS } from "./config.ts";

/** The README's settings table, made from SETTINGS; tests/config_test.ts keeps README equal to it. */
export function settingsTable(): string {
  const rows = Object.entries(SETTINGS).map(([name, s]) =>
    `| \`${name}\` | ${s.default === "" ? "(empty)" : `\`${s.default}\``} | ${s.doc} |`
  );
  return ["| setting | default | meaning |", "|---|---|---|", ...rows].join("\n");
}
