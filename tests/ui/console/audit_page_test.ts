import assert from "node:assert/strict";
import { testApp } from "../../_helpers/app.ts";
import { getPage, signedIn, submit } from "./_helpers.ts";

Deno.test("console audit log: changes newest first with their channel, filtered by object", async () => {
  const t = await testApp();
  try {
    const s = await signedIn(t, { slug: "audited" });
    const viaUi = await submit(t, s, {
      from: "/audited/streams/new",
      action: "/audited/streams",
      form: { name: "UI" },
    });
    const uiId = viaUi.headers.get("location")!.split("/")[3].split("?")[0];
    const rest = await t.request(`/api/${s.user.workspace.id}/config/stream`, {
      method: "POST",
      headers: { authorization: s.user.auth },
      json: { name: "REST" },
    });
    const restId = (await rest.json()).id;
    const page = await getPage(t, s.cookie, "/audited/audit");
    assert.equal(page.status, 200);
    const uiAt = page.html.indexOf(`data-object="${uiId}"`);
    const restAt = page.html.indexOf(`data-object="${restId}"`);
    assert.ok(restAt > 0 && uiAt > restAt, "newest first");
    assert.match(page.html, new RegExp(`<code>${uiId}</code> via UI`));
    assert.match(page.html, new RegExp(`<code>${restId}</code> via REST`));
    const one = await getPage(t, s.cookie, `/audited/audit?objectId=${uiId}`);
    assert.ok(one.html.includes(uiId) && !one.html.includes(restId));
    const other = await signedIn(t, { slug: "not-audited" });
    const theirs = await getPage(t, other.cookie, "/not-audited/audit");
    assert.ok(!theirs.html.includes(uiId) && !theirs.html.includes(restId));
    assert.match(theirs.html, /No changes recorded/);
  } finally {
    await t.close();
  }
});
