import assert from "node:assert/strict";
import { testApp } from "../_helpers/app.ts";
import { mcpHeaders } from "./rpc.ts";

Deno.test("/mcp reached by an address other than PUBLIC_URL's names PUBLIC_URL in the 403 and in the log", async () => {
  const t = await testApp({ env: { PUBLIC_URL: "http://localhost:3000" } });
  try {
    const u = await t.user();
    const res = await t.request("http://192.168.1.20:3000/mcp", {
      method: "POST",
      headers: { ...mcpHeaders(u.auth), host: "192.168.1.20:3000" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    assert.equal(res.status, 403);
    const body = await res.json();
    assert.match(
      body.error.message,
      /^Forbidden: Host "192\.168\.1\.20:3000" is not allowed: \/mcp answers at PUBLIC_URL \(http:\/\/localhost:3000\); if clients reach this server as 192\.168\.1\.20:3000, set PUBLIC_URL to that address$/,
    );
    const logged = t.logLines.map((l) => JSON.parse(l)).find((l) => l.msg === "mcp request refused");
    assert.ok(logged, t.logLines.join("\n"));
    assert.match(logged.reason, /set PUBLIC_URL/);
  } finally {
    await t.close();
  }
});
