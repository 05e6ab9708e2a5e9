import assert from "node:assert/strict";
import { testApp } from "../_helpers/app.ts";
import { client, expectStatus, PG_DESTINATION } from "./_client.ts";

Deno.test("POST /config/destination creates, masks the password, and GET/list return it", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const c = client(t, u);
    const created = expectStatus(await c.cfg("POST", "destination", PG_DESTINATION), 201);
    assert.match(created.id, /^[a-z][a-z0-9]{23}$/);
    assert.equal(created.workspaceId, u.workspace.id);
    assert.equal(created.type, "destination");
    assert.equal(created.destinationType, "postgres");
    assert.equal(created.password, "__MASKED_BY_JITSU__");
    assert.equal(created.port, 5432, "the type's default is applied");
    assert.equal(created.sslMode, "require");
    assert.equal(created.deliverable, true, "postgres has a driver");

    const got = await c.cfg("GET", `destination/${created.id}`);
    assert.deepEqual(expectStatus(got, 200), created);
    assert.equal(got.headers.get("etag"), `"${created.updatedAt}"`);

    const list = expectStatus(await c.cfg("GET", "destination"), 200);
    assert.equal(list.total, 1);
    assert.deepEqual(list.objects, [created]);
    const slim = expectStatus(await c.cfg("GET", "destination?fields=id,name"), 200);
    assert.deepEqual(slim.objects, [{ id: created.id, name: "Warehouse" }]);
  } finally {
    await t.close();
  }
});

Deno.test("a client-chosen id is kept; a taken one is a 409", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const c = client(t, u);
    const created = expectStatus(await c.cfg("POST", "destination", { ...PG_DESTINATION, id: "my-pg" }), 201);
    assert.equal(created.id, "my-pg");
    const again = await c.cfg("POST", "destination", { ...PG_DESTINATION, id: "my-pg" });
    assert.equal(
      expectStatus(again, 409).error.message,
      'Cannot create destination: id "my-pg" is already used',
    );
  } finally {
    await t.close();
  }
});

Deno.test("PUT merges the patch, keeps a masked secret, replaces a new one, and validates the whole", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const c = client(t, u);
    const created = expectStatus(await c.cfg("POST", "destination", PG_DESTINATION), 201);
    // Send back what GET returned, with one change: the sentinel must keep the stored password.
    const updated = expectStatus(
      await c.cfg("PUT", `destination/${created.id}`, { ...created, username: "sluice2" }),
      200,
    );
    assert.equal(updated.username, "sluice2");
    assert.equal(updated.database, "analytics", "untouched fields are kept");
    assert.equal(updated.password, "__MASKED_BY_JITSU__");
    assert.ok(updated.updatedAt > created.updatedAt);
    const { liveConnectionsOf: _ } = await import("../../src/services/pipeline_config.ts");
    const stored = await t.deps.db.query<{ secrets: string }>(
      "select secrets from config_objects where id = $1",
      [
        created.id,
      ],
    );
    assert.ok(!stored[0].secrets.includes("pg-secret"), "encrypted at rest");

    const bad = await c.cfg("PUT", `destination/${created.id}`, { host: "", port: 70000 });
    const err = expectStatus(bad, 400).error;
    assert.equal(
      err.message,
      `Cannot update destination "${created.id}": host: required; port: at most 65535`,
    );
    assert.deepEqual(err.issues, [{ path: "host", message: "required" }, {
      path: "port",
      message: "at most 65535",
    }]);

    const cleared = expectStatus(await c.cfg("PUT", `destination/${created.id}`, { password: null }), 200);
    assert.equal(cleared.password, undefined, "null removes an optional field (RFC 7396)");
  } finally {
    await t.close();
  }
});

Deno.test("PUT refuses a masked secret sent to a new host, url or type; a re-entered one is accepted", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const c = client(t, u);
    const pg = expectStatus(await c.cfg("POST", "destination", PG_DESTINATION), 201);
    const moved = expectStatus(
      await c.cfg("PUT", `destination/${pg.id}`, { ...pg, host: "attacker.example", port: 5433 }),
      400,
    ).error;
    assert.equal(
      moved.message,
      `Cannot update destination "${pg.id}": password: masked, but host, port changed: ` +
        "re-enter the secret to send it to the new target",
    );
    const retyped = expectStatus(
      await c.cfg("PUT", `destination/${pg.id}`, {
        ...PG_DESTINATION,
        destinationType: "mysql",
        password: "__MASKED_BY_JITSU__",
      }),
      400,
    ).error;
    assert.match(retyped.message, /password: masked, but destinationType, port changed/);
    const reentered = expectStatus(
      await c.cfg("PUT", `destination/${pg.id}`, { host: "db2.example.com", password: "new-pw" }),
      200,
    );
    assert.equal(reentered.host, "db2.example.com");

    const hook = expectStatus(
      await c.cfg("POST", "destination", {
        name: "Hook",
        destinationType: "webhook",
        url: "https://hooks.example.com/in",
        headers: ["Authorization: Bearer hook-secret-1"],
      }),
      201,
    );
    const stolen = expectStatus(
      await c.cfg("PUT", `destination/${hook.id}`, {
        url: "https://attacker.example/x",
        headers: hook.headers,
      }),
      400,
    ).error;
    assert.deepEqual(stolen.issues, [{
      path: "headers.0",
      message: "masked, but url changed: re-enter the secret to send it to the new target",
    }]);
    const samePlace = expectStatus(
      await c.cfg("PUT", `destination/${hook.id}`, { timeoutMs: 5000, headers: hook.headers }),
      200,
    );
    assert.deepEqual(samePlace.headers, hook.headers);
  } finally {
    await t.close();
  }
});

Deno.test("PUT with a stale expectedUpdatedAt or If-Match is a 409; the current one succeeds", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const c = client(t, u);
    const v1 = expectStatus(await c.cfg("POST", "destination", PG_DESTINATION), 201);
    const v2 = expectStatus(
      await c.cfg("PUT", `destination/${v1.id}`, { name: "A" }, { "if-match": `"${v1.updatedAt}"` }),
      200,
    );
    const stale = await c.cfg("PUT", `destination/${v1.id}`, { name: "B" }, {
      "if-match": `"${v1.updatedAt}"`,
    });
    const err = expectStatus(stale, 409).error;
    assert.equal(err.code, "conflict");
    assert.match(err.message, /^Cannot update destination ".+": it was changed at /);
    const staleBody = await c.cfg("PUT", `destination/${v1.id}`, {
      name: "B",
      expectedUpdatedAt: v1.updatedAt,
    });
    expectStatus(staleBody, 409);
    const fresh = await c.cfg("PUT", `destination/${v1.id}`, { name: "C", expectedUpdatedAt: v2.updatedAt });
    assert.equal(expectStatus(fresh, 200).name, "C");
    const garbage = await c.cfg("PUT", `destination/${v1.id}?expectedUpdatedAt=yesterday`, { name: "D" });
    assert.equal(expectStatus(garbage, 400).error.issues[0].path, "expectedUpdatedAt");
  } finally {
    await t.close();
  }
});

Deno.test("a webhook header with CR, LF or NUL is refused without echoing the value", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const c = client(t, u);
    for (const bad of ["Authorization: Bearer s3c\r\nX-Evil: 1", "X-A: s3c\n", "X-A: s3c\u0000"]) {
      const r = expectStatus(
        await c.cfg("POST", "destination", {
          name: "Hook",
          destinationType: "webhook",
          url: "https://hooks.example.com/in",
          headers: [bad],
        }),
        400,
      );
      assert.deepEqual(r.error.issues, [{
        path: "headers.0",
        message: 'must be "Name: value" on one line (no CR, LF or NUL)',
      }]);
      assert.ok(!JSON.stringify(r).includes("s3c"), "the secret value is not echoed");
    }
  } finally {
    await t.close();
  }
});

Deno.test("create reports every failing field by path, unknown fields and unknown types", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const c = client(t, u);
    const missing = expectStatus(await c.cfg("POST", "destination", { destinationType: "postgres" }), 400);
    assert.equal(
      missing.error.message,
      "Cannot create destination: name: required; host: required; " +
        "database: required; username: required",
    );
    const typo = expectStatus(await c.cfg("POST", "destination", { ...PG_DESTINATION, hostname: "x" }), 400);
    assert.equal(typo.error.issues[0].path, "hostname");
    assert.match(typo.error.issues[0].message, /^unknown field; allowed: id, name, destinationType, host, /);
    const unknownDest = expectStatus(
      await c.cfg("POST", "destination", { name: "x", destinationType: "kafka" }),
      400,
    );
    assert.match(
      unknownDest.error.message,
      /destinationType: unknown destination type "kafka"; known: webhook, /,
    );
    const noType = expectStatus(await c.cfg("POST", "destination", { name: "x" }), 400);
    assert.match(noType.error.message, /destinationType: required; one of: webhook, devnull, postgres/);
    const wrongKind = expectStatus(
      await c.cfg("POST", "destination", { ...PG_DESTINATION, type: "stream" }),
      400,
    );
    assert.equal(
      wrongKind.error.message,
      'Cannot create destination: type: must be "destination" or left out',
    );
    const unknownType = expectStatus(await c.cfg("GET", "widget"), 400);
    assert.equal(
      unknownType.error.message,
      'Unknown resource type "widget"; known types: destination, stream, service, function, connection',
    );
    const arr = expectStatus(await c.cfg("POST", "destination", [1, 2]), 400);
    assert.equal(arr.error.code, "validation_failed");
    const badJson = await t.request(`/api/${u.workspace.id}/config/destination`, {
      method: "POST",
      headers: { authorization: u.auth, "content-type": "application/json" },
      body: "{nope",
    });
    assert.equal(badJson.status, 400);
    await badJson.body?.cancel();
    const masked = expectStatus(
      await c.cfg("POST", "destination", { ...PG_DESTINATION, password: "__MASKED_BY_JITSU__" }),
      400,
    );
    assert.equal(masked.error.issues[0].path, "password");
    const webhook = expectStatus(
      await c.cfg("POST", "destination", {
        name: "h",
        destinationType: "webhook",
        url: "ftp://x",
        method: "FETCH",
      }),
      400,
    );
    assert.deepEqual(webhook.error.issues.map((i: { path: string }) => i.path), ["url", "method"]);
  } finally {
    await t.close();
  }
});

Deno.test("another workspace's destination is a 404 on every verb; no auth is a 401", async () => {
  const t = await testApp();
  try {
    const alice = await t.user();
    const bob = await t.user();
    const a = client(t, alice);
    const b = client(t, bob);
    const created = expectStatus(await a.cfg("POST", "destination", PG_DESTINATION), 201);
    for (const method of ["GET", "PUT", "DELETE"]) {
      const r = await b.cfg(
        method,
        `destination/${created.id}`,
        method === "PUT" ? { name: "x" } : undefined,
      );
      assert.equal(r.status, 404, method);
    }
    // Bob naming Alice's workspace is a 404 too, never a 403.
    const r = await b.call("GET", `/api/${alice.workspace.id}/config/destination/${created.id}`);
    assert.equal(r.status, 404);
    assert.equal(expectStatus(await b.cfg("GET", "destination"), 200).objects.length, 0);
    const anon = await t.request(`/api/${alice.workspace.id}/config/destination`);
    assert.equal(anon.status, 401);
    await anon.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test("DELETE is soft: the object disappears from get and list but stays in the table", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const c = client(t, u);
    const created = expectStatus(await c.cfg("POST", "destination", PG_DESTINATION), 201);
    const del = expectStatus(await c.cfg("DELETE", `destination/${created.id}`), 200);
    assert.equal(del.deleted, true);
    assert.equal(del.id, created.id);
    assert.deepEqual(del.deletedConnections, []);
    assert.equal((await c.cfg("GET", `destination/${created.id}`)).status, 404);
    assert.equal(expectStatus(await c.cfg("GET", "destination"), 200).total, 0);
    assert.equal((await c.cfg("DELETE", `destination/${created.id}`)).status, 404);
    const rows = await t.deps.db.query("select deleted_at from config_objects where id = $1", [created.id]);
    assert.ok(rows[0].deleted_at instanceof Date);
  } finally {
    await t.close();
  }
});
