import assert from "node:assert/strict";
import { createWorkspace } from "../../../src/services/workspaces.ts";
import { testApp } from "../../_helpers/app.ts";
import { getPage, signedIn } from "./_helpers.ts";

const NAV = [
  "Overview",
  "Streams",
  "Destinations",
  "Connections",
  "Syncs",
  "Functions",
  "Live Events",
  "Members",
  "Audit log",
];

Deno.test("console /: signed out goes to sign in; signed in opens the last, else the first workspace by name", async () => {
  const t = await testApp();
  try {
    const out = await t.request("/");
    assert.equal(out.status, 302);
    assert.equal(out.headers.get("location"), "/login?next=%2F");
    const s = await signedIn(t, { slug: "first-ws" });
    const second = await createWorkspace(s.user.ctx, { name: "Zulu", slug: "second-ws" });
    const home = await t.request("/", { headers: { cookie: s.cookie } });
    assert.equal(home.status, 302);
    assert.equal(home.headers.get("location"), "/first-ws");
    // Opening a workspace remembers it; `/` then goes back to it.
    const opened = await t.request("/second-ws", { headers: { cookie: s.cookie } });
    assert.equal(opened.status, 200);
    const last = opened.headers.getSetCookie().find((c) => c.startsWith("sluice_last_ws="))!;
    assert.match(last, new RegExp(`sluice_last_ws=${second.id}`));
    const again = await t.request("/", { headers: { cookie: `${s.cookie}; ${last.split(";")[0]}` } });
    assert.equal(again.headers.get("location"), "/second-ws");
  } finally {
    await t.close();
  }
});

Deno.test("console shell: doctype, CSP nonce, navigation names, switcher, slug and id both open", async () => {
  const t = await testApp();
  try {
    const s = await signedIn(t, { slug: "acme" });
    const bySlug = await getPage(t, s.cookie, "/acme");
    assert.equal(bySlug.status, 200);
    assert.match(bySlug.res.headers.get("content-type")!, /text\/html/);
    assert.ok(bySlug.html.startsWith("<!DOCTYPE html>"));
    const csp = bySlug.res.headers.get("content-security-policy")!;
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-[A-Za-z0-9_-]+'/);
    const nav = /<nav aria-label="Console">(.*?)<\/nav>/s.exec(bySlug.html)![1];
    const names = [...nav.matchAll(/<a [^>]*>([^<]+)<\/a>/g)].map((m) => m[1]);
    assert.deepEqual(names, [...NAV, "API keys"]);
    assert.match(nav, /href="\/user">API keys/);
    assert.doesNotMatch(bySlug.html, /(src|href)="(https?:)?\/\//, "no asset from outside Sluice");
    assert.doesNotMatch(bySlug.html, /id="ws-switch"/, "one workspace: no switcher");
    const byId = await getPage(t, s.cookie, `/${s.user.workspace.id}`);
    assert.equal(byId.status, 200);
    await createWorkspace(s.user.ctx, { name: "Other", slug: "other" });
    const two = await getPage(t, s.cookie, "/acme/streams");
    assert.match(two.html, /<label for="ws-switch">Workspace<\/label>/);
    assert.match(two.html, /<option value="other"\s*>Other<\/option>/);
    const sw = await t.request("/console/switch?to=other", { headers: { cookie: s.cookie } });
    assert.equal(sw.headers.get("location"), "/other");
    const evil = await t.request("/console/switch?to=%2F%2Fevil.example", { headers: { cookie: s.cookie } });
    assert.equal(evil.headers.get("location"), "/");
  } finally {
    await t.close();
  }
});

Deno.test("console shell: another user's workspace is a 404 page, unknown pages too; API paths stay JSON", async () => {
  const t = await testApp();
  try {
    const a = await signedIn(t, { slug: "alpha" });
    const b = await signedIn(t, { slug: "bravo" });
    for (const path of ["/bravo", "/bravo/streams", `/${b.user.workspace.id}/live`, "/bravo/audit"]) {
      const p = await getPage(t, a.cookie, path);
      assert.equal(p.status, 404, path);
      assert.match(p.html, /Workspace &quot;[^&]+&quot; not found|Workspace "[^"]+" not found/);
    }
    const missing = await getPage(t, a.cookie, "/alpha/no-such-page");
    assert.equal(missing.status, 404);
    assert.match(missing.html, /The console has no page \/alpha\/no-such-page/);
    const api = await t.request("/api/no-such-thing", { headers: { cookie: a.cookie } });
    assert.equal(api.status, 404);
    assert.match(api.headers.get("content-type")!, /json/);
    // A slug that is one of Sluice's own paths: the console links the workspace by id instead.
    const taken = await createWorkspace(a.user.ctx, { name: "Aaa metrics", slug: "metrics" });
    const home = await t.request("/", { headers: { cookie: a.cookie } });
    assert.equal(home.headers.get("location"), `/${taken.id}`);
    assert.equal((await getPage(t, a.cookie, `/${taken.id}/streams`)).status, 200);
    const signedOut = await t.request("/alpha/streams");
    assert.equal(signedOut.status, 302);
    assert.equal(signedOut.headers.get("location"), "/login?next=%2Falpha%2Fstreams");
  } finally {
    await t.close();
  }
});

Deno.test("console overview: counts, the first stream's snippet and the events chart", async () => {
  const t = await testApp({ env: { PUBLIC_URL: "https://sluice.example.com" } });
  try {
    const s = await signedIn(t, { slug: "counts" });
    const empty = await getPage(t, s.cookie, "/counts");
    assert.match(empty.html, /id="count-streams"><strong>0<\/strong>/);
    assert.match(empty.html, /No stream yet/);
    await t.request(`/api/${s.user.workspace.id}/config/stream`, {
      method: "POST",
      headers: { authorization: s.user.auth },
      json: { name: "Site", publicKeys: [{ id: "site-browser", plaintext: "0123456789abcdef0123" }] },
    });
    const p = await getPage(t, s.cookie, "/counts");
    assert.match(p.html, /id="count-streams"><strong>1<\/strong>/);
    assert.match(p.html, /id="count-destinations"><strong>0<\/strong>/);
    assert.match(
      p.html,
      /&lt;script async src=&quot;https:\/\/sluice.example.com\/p.js&quot; data-write-key=&quot;site-browser:YOUR_SECRET&quot;/,
    );
    assert.match(p.html, /<div class="card" id="overview-chart"><h2>Events over time<\/h2>/);
  } finally {
    await t.close();
  }
});
