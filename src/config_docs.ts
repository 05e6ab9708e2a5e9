import { SETTINGS } from "./config.ts";

/** The settings table of docs/settings.md, made from SETTINGS; tests/config_test.ts keeps it current. */
export function settingsTable(): string {
  const rows = Object.entries(SETTINGS).map(([name, s]) =>
    `| \`${name}\` | ${s.default === "" ? "(empty)" : `\`${s.default}\``} | ${s.doc} |`
  );
  return ["| setting | default | meaning |", "|---|---|---|", ...rows].join("\n");
}
