/** The README's oauth section: its client configurations point at /mcp and carry no key. */
import assert from "node:assert/strict";

async function oauthSection(): Promise<string> {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  const start = readme.indexOf("<!-- section:oauth -->");
  const end = readme.indexOf("<!-- /section:oauth -->");
  assert.ok(start >= 0 && end > start, "README has the oauth section");
  return readme.slice(start, end);
}

Deno.test("README oauth section: Claude Desktop, Cursor and VS Code configs parse, point at /mcp, send no header", async () => {
  const section = await oauthSection();
  const json = [...section.matchAll(/```json\n([\s\S]*?)\n```/g)].map((m) => JSON.parse(m[1]));
  assert.equal(json.length, 3);
  const [desktop, cursor, vscode] = json;
  assert.deepEqual(desktop.mcpServers.sluice.args, ["-y", "mcp-remote", "https://sluice.example.com/mcp"]);
  assert.deepEqual(cursor.mcpServers.sluice, { url: "https://sluice.example.com/mcp" });
  assert.deepEqual(vscode.servers.sluice, { type: "http", url: "https://sluice.example.com/mcp" });
  assert.ok(!JSON.stringify(json).includes("Authorization"), "no client needs a header with OAuth");
  assert.match(section, /claude mcp add --transport http sluice https:\/\/sluice\.example\.com\/mcp`/);
  assert.match(section, /Revoke/);
});
