/** Rewrites docs/settings.md's table from src/config.ts: `deno task docs`. */
import { settingsTable } from "../src/config_docs.ts";

const path = new URL("../docs/settings.md", import.meta.url);
const readme = await Deno.readTextFile(path);
const next = readme.replace(
  /<!-- settings-table -->\n[\s\S]*?\n<!-- \/settings-table -->/,
  `<!-- settings-table -->\n${settingsTable()}\n<!-- /settings-table -->`,
);
await Deno.writeTextFile(path, next);
console.log(next === readme ? "docs/settings.md table is current" : "docs/settings.md table updated");
