import assert from "node:assert/strict";
import { testApp } from "../_helpers/app.ts";
import { authorizeQuery, pkce, register, sessionCookie } from "../oauth/_helpers.ts";

function checkedAccess(html: string): string[] {
  return [...html.matchAll(/<input type="radio" name="access" value="(\w+)"( checked)?/g)]
    .filter((m) => m[2])
    .map((m) => m[1]);
}

Deno.test("consent page preselects the access the app asked for; the other choice stays offered", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const cookie = await sessionCookie(t, u);
    const client = await register(t);
    const { challenge } = await pkce();
    const cases: [string, string, RegExp | null][] = [
      ["mcp:read mcp:write", "write", /asked for read and write access/],
      ["mcp:read", "read", null],
    ];
    for (const [scope, expected, note] of cases) {
      const res = await t.request(
        `/oauth/authorize?${authorizeQuery(client.client_id, challenge, { scope })}`,
        {
          headers: { cookie },
        },
      );
      const html = await res.text();
      assert.equal(res.status, 200, html);
      assert.deepEqual(checkedAccess(html), [expected], scope);
      assert.match(html, /name="access" value="read"/);
      assert.match(html, /name="access" value="write"/);
      if (note) assert.match(html, note);
      else assert.doesNotMatch(html, /asked for read and write/);
    }
  } finally {
    await t.close();
  }
});
