import assert from "node:assert/strict";
import { testApp } from "../../_helpers/app.ts";
import { getPage, postForm, signedIn, submit } from "./_helpers.ts";

function decode(html: string) {
  return html.replaceAll("&quot;", '"').replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll(
    "&#39;",
    "'",
  )
    .replaceAll("&amp;", "&");
}

Deno.test("console streams: create (POST-redirect-GET), write key once, snippets, audit channel ui", async () => {
  const t = await testApp({ env: { PUBLIC_URL: "https://sluice.example.com" } });
  try {
    const s = await signedIn(t, { slug: "shop" });
    const res = await submit(t, s, {
      from: "/shop/streams/new",
      action: "/shop/streams",
      form: { name: "Web shop", domains: "shop.example.com\nwww.shop.example.com", strict: "false" },
    });
    assert.equal(res.status, 303);
    const location = res.headers.get("location")!;
    assert.match(location, /^\/shop\/streams\/[^/?]+\?notice=created$/);
    const keyCookie = res.headers.getSetCookie().find((c) => c.startsWith("sluice_console_key="))!;
    assert.ok(keyCookie, "the new key travels in a cookie, never in the URL");
    const cookie = `${s.cookie}; ${keyCookie.split(";")[0]}`;
    const first = await t.request(location, { headers: { cookie } });
    const html = decode(await first.text());
    assert.equal(first.status, 200);
    const key = /<pre id="write-key-value">([^<]+)<\/pre>/.exec(html)![1];
    assert.match(key, /^[^:]+:.{16,}$/);
    assert.ok(html.includes(`X-Write-Key: ${key}`), "curl snippet carries the new server key");
    assert.ok(html.includes('<script async src="https://sluice.example.com/p.js" data-write-key="'));
    assert.ok(
      html.includes("@jitsu/js") && html.includes("AnalyticsBrowser.load") && html.includes("new Analytics("),
    );
    // Shown once: the page cleared the cookie, a reload shows no secret.
    assert.ok(first.headers.getSetCookie().some((c) => /^sluice_console_key=;/.test(c)));
    const reload = await getPage(t, s.cookie, location);
    assert.ok(!reload.html.includes(key.split(":")[1]));
    // The key works for ingest, as REST-made keys do.
    const id = location.split("/")[3].split("?")[0];
    const ingest = await t.request("/api/s/s2s/track", {
      method: "POST",
      headers: { "x-write-key": key },
      json: { type: "track", event: "Bought", userId: "u1" },
    });
    assert.equal(ingest.status, 200, await ingest.text());
    const rest = await (await t.request(`/api/${s.user.workspace.id}/config/stream/${id}`, {
      headers: { authorization: s.user.auth },
    })).json();
    assert.deepEqual(rest.domains, ["shop.example.com", "www.shop.example.com"]);
    const audit = await (await t.request(`/api/${s.user.workspace.id}/audit-log`, {
      headers: { authorization: s.user.auth },
    })).json();
    const entry = audit.entries.find((e: { objectId: string }) => e.objectId === id);
    assert.equal(entry.channel, "ui");
    assert.equal(entry.action, "create");
  } finally {
    await t.close();
  }
});

Deno.test("console streams: a new browser key is shown once and fills the snippet", async () => {
  const t = await testApp();
  try {
    const s = await signedIn(t, { slug: "keys" });
    const created = await submit(t, s, {
      from: "/keys/streams/new",
      action: "/keys/streams",
      form: { name: "S" },
    });
    const page = created.headers.get("location")!.split("?")[0];
    const res = await submit(t, s, { from: page, action: `${page}/keys`, form: { kind: "browser" } });
    assert.equal(res.status, 303);
    const flash = res.headers.getSetCookie().find((c) => c.startsWith("sluice_console_key="))!;
    const cookie = `${s.cookie}; ${flash.split(";")[0]}`;
    const html = decode(await (await t.request(page, { headers: { cookie } })).text());
    const key = /<pre id="write-key-value">([^<]+)<\/pre>/.exec(html)![1];
    assert.ok(html.includes(`data-write-key="${key}"`));
    assert.match(html, /New browser key/);
  } finally {
    await t.close();
  }
});

Deno.test("console destinations: generated form, REST's errors beside the fields, secrets stay masked", async () => {
  const t = await testApp();
  try {
    const s = await signedIn(t, { slug: "dest" });
    const form = await getPage(t, s.cookie, "/dest/destinations/new?destinationType=postgres");
    assert.equal(form.status, 200);
    for (const name of ["name", "host", "port", "database", "username", "password", "sslMode"]) {
      assert.match(form.html, new RegExp(`<label for="f-${name}">`), name);
    }
    assert.match(form.html, /<input id="f-password" name="password"[^>]*type="password"/);
    // Missing host, a port that is not a number: the service's messages, beside each field.
    const bad = await postForm(t, s.cookie, "/dest/destinations", {
      csrf: form.csrf,
      destinationType: "postgres",
      name: "Warehouse",
      port: "abc",
      database: "db",
      username: "u",
    });
    assert.equal(bad.status, 400);
    const badHtml = await bad.text();
    const rest = await (await t.request(`/api/${s.user.workspace.id}/config/destination`, {
      method: "POST",
      headers: { authorization: s.user.auth },
      json: { destinationType: "postgres", name: "Warehouse", port: "abc", database: "db", username: "u" },
    })).json();
    const restIssues = rest.issues ?? rest.error?.issues ?? rest.details?.issues;
    assert.ok(Array.isArray(restIssues), JSON.stringify(rest));
    for (const issue of restIssues) {
      assert.ok(
        badHtml.includes(`id="f-${issue.path}-error" role="alert">${issue.message}`),
        `${issue.path}: ${issue.message}`,
      );
    }
    const ok = await postForm(t, s.cookie, "/dest/destinations", {
      csrf: form.csrf,
      destinationType: "postgres",
      name: "Warehouse",
      host: "db.internal",
      database: "db",
      username: "u",
      password: "s3cret-pass",
    });
    assert.equal(ok.status, 303, await ok.text());
    const page = ok.headers.get("location")!.split("?")[0];
    const edit = await getPage(t, s.cookie, page);
    assert.ok(!edit.html.includes("s3cret-pass"));
    assert.match(
      edit.html,
      /name="password" aria-describedby="f-password-hint" type="password" value="__MASKED_BY_JITSU__"/,
    );
    // Saving with the mask keeps the stored secret; the name changes.
    const updatedAt = /name="expectedUpdatedAt" value="([^"]+)"/.exec(edit.html)![1];
    const save = await postForm(t, s.cookie, page, {
      csrf: edit.csrf,
      destinationType: "postgres",
      expectedUpdatedAt: updatedAt,
      name: "Warehouse 2",
      host: "db.internal",
      port: "5432",
      database: "db",
      username: "u",
      password: "__MASKED_BY_JITSU__",
    });
    assert.equal(save.status, 303, await save.text());
    const id = page.split("/").pop()!;
    const row = await t.deps.db.query<{ name: string; secrets: string | null }>(
      "select name, secrets from config_objects where id = $1",
      [id],
    );
    assert.equal(row[0].name, "Warehouse 2");
    assert.ok(row[0].secrets, "the password is still stored (encrypted)");
    // A stale version is refused with REST's 409 text.
    const stale = await postForm(t, s.cookie, page, {
      csrf: edit.csrf,
      destinationType: "postgres",
      expectedUpdatedAt: updatedAt,
      name: "Warehouse 3",
      host: "db.internal",
      database: "db",
      username: "u",
    });
    assert.equal(stale.status, 409);
    assert.match(await stale.text(), /after the version you read/);
  } finally {
    await t.close();
  }
});

Deno.test("console connections and delete: in use asks and offers cascade, as the API does", async () => {
  const t = await testApp();
  try {
    const s = await signedIn(t, { slug: "conn" });
    const stream = await submit(t, s, {
      from: "/conn/streams/new",
      action: "/conn/streams",
      form: { name: "S" },
    });
    const streamId = stream.headers.get("location")!.split("/")[3].split("?")[0];
    const dest = await submit(t, s, {
      from: "/conn/destinations/new?destinationType=webhook",
      action: "/conn/destinations",
      form: { destinationType: "webhook", name: "Hook", url: "https://hooks.example.com/in" },
    });
    assert.equal(dest.status, 303, await dest.text());
    const destId = dest.headers.get("location")!.split("/")[3].split("?")[0];
    // First the two ends (a GET form), then the form of that destination type, with its defaults.
    const start = await getPage(t, s.cookie, "/conn/connections/new");
    assert.match(start.html, /<form method="get" action="\/conn\/connections\/new" id="connection-start">/);
    assert.doesNotMatch(start.html, /name="data\./);
    const newConn = await getPage(t, s.cookie, `/conn/connections/new?fromId=${streamId}&toId=${destId}`);
    assert.match(newConn.html, /New connection \(webhook\)/);
    assert.match(newConn.html, /name="data.batchSize"[^>]*placeholder="100"/);
    assert.match(newConn.html, new RegExp(`<option value="${streamId}"`));
    const conn = await postForm(t, s.cookie, "/conn/connections", {
      csrf: newConn.csrf,
      fromId: streamId,
      toId: destId,
      "data.disabled": "false",
    });
    assert.equal(conn.status, 303, await conn.text());
    const connId = conn.headers.get("location")!.split("/")[3].split("?")[0];
    const del = await postForm(t, s.cookie, `/conn/streams/${streamId}/delete`, { csrf: newConn.csrf });
    assert.equal(del.status, 409);
    const ask = await del.text();
    assert.match(ask, /connection\(s\) use it/);
    assert.ok(ask.includes(connId));
    assert.match(ask, /name="cascade" value="true"/);
    const cascade = await postForm(t, s.cookie, `/conn/streams/${streamId}/delete`, {
      csrf: newConn.csrf,
      cascade: "true",
    });
    assert.equal(cascade.status, 303);
    assert.equal(cascade.headers.get("location"), "/conn/streams?notice=deleted");
    assert.equal((await getPage(t, s.cookie, `/conn/connections/${connId}`)).status, 404);
  } finally {
    await t.close();
  }
});
