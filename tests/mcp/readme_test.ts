/** The README's "Connect a client" snippets are valid and point at /mcp with the bearer header. */
import assert from "node:assert/strict";

async function mcpSection(): Promise<string> {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  const start = readme.indexOf("<!-- section:mcp -->");
  const end = readme.indexOf("<!-- /section:mcp -->");
  assert.ok(start >= 0 && end > start, "README has the mcp section");
  return readme.slice(start, end);
}

function blocks(section: string, lang: string): string[] {
  return [...section.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)\\n```", "g"))].map((m) => m[1]);
}

Deno.test("README mcp section: every JSON block parses and configures Sluice's /mcp with a bearer key", async () => {
  const section = await mcpSection();
  const json = blocks(section, "json").map((b) => JSON.parse(b));
  assert.equal(json.length, 3, "Claude Desktop, Cursor, VS Code");
  const [desktop, cursor, vscode] = json;

  const d = desktop.mcpServers.sluice;
  assert.equal(d.command, "npx");
  assert.ok(d.args.includes("mcp-remote") && d.args.includes("https://sluice.example.com/mcp"));
  const header = d.args[d.args.indexOf("--header") + 1];
  assert.equal(header.replace("${AUTH_HEADER}", d.env.AUTH_HEADER), "Authorization:Bearer keyId:keySecret");

  const c = cursor.mcpServers.sluice;
  assert.equal(c.url, "https://sluice.example.com/mcp");
  assert.match(c.headers.Authorization, /^Bearer \$\{env:SLUICE_API_KEY\}$/);

  const v = vscode.servers.sluice;
  assert.equal(v.type, "http");
  assert.equal(v.url, "https://sluice.example.com/mcp");
  const inputId = /^Bearer \$\{input:([a-z-]+)\}$/.exec(v.headers.Authorization)?.[1];
  assert.ok(inputId, "VS Code header reads a prompted input");
  assert.deepEqual(vscode.inputs.map((i: { id: string }) => i.id), [inputId]);
  assert.equal(vscode.inputs[0].password, true);
});

Deno.test("README mcp section: the Claude Code command adds an http server with the Authorization header", async () => {
  const section = await mcpSection();
  const sh = blocks(section, "sh").join("\n");
  assert.ok(
    sh.includes(
      'claude mcp add --transport http sluice https://sluice.example.com/mcp --header "Authorization: Bearer $SLUICE_API_KEY"',
    ),
  );
});
