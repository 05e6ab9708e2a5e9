import assert from "node:assert/strict";
import { testApp } from "../_helpers/app.ts";
import { client, expectStatus, FUNCTION_CODE, type Reply } from "./_client.ts";

// Every secret carries this marker, so one substring search finds any leak of any of them.
const S = "LEAKCHECK";

Deno.test("no API response, no audit entry and no log line ever contains a stored secret", async () => {
  const t = await testApp();
  try {
    const u = await t.user();
    const c = client(t, u);
    const replies: Reply[] = [];
    const r = async (p: Promise<Reply>) => {
      const x = await p;
      replies.push(x);
      return x;
    };
    const pg = expectStatus(
      await r(c.cfg("POST", "destination", {
        name: "pg",
        destinationType: "postgres",
        host: "h",
        database: "d",
        username: "u",
        password: `${S}-pg-password`,
        sslServerCA: `${S}-ca-pem`,
      })),
      201,
    );
    const hook = expectStatus(
      await r(c.cfg("POST", "destination", {
        name: "hook",
        destinationType: "webhook",
        url: "https://example.com/h",
        headers: [`Authorization: Bearer ${S}-hook-token`],
      })),
      201,
    );
    const bq = expectStatus(
      await r(c.cfg("POST", "destination", {
        name: "bq",
        destinationType: "bigquery",
        project: "p",
        bqDataset: "d",
        keyFile: `{"private_key": "${S}-keyfile"}`,
      })),
      201,
    );
    const stream = expectStatus(
      await r(c.cfg("POST", "stream", {
        name: "s",
        publicKeys: [{ id: "pub-key-1", plaintext: `${S}-browser-key-secret` }],
        privateKeys: [{ id: "srv-key-1", plaintext: `${S}-server-key-secret` }],
      })),
      201,
    );
    const svc = expectStatus(
      await r(c.cfg("POST", "service", {
        name: "svc",
        package: "airbyte/source-x",
        credentials: { api: { token: `${S}-service-token` } },
      })),
      201,
    );
    const fn = expectStatus(await r(c.cfg("POST", "function", { name: "f", code: FUNCTION_CODE })), 201);
    const conn = expectStatus(
      await r(c.cfg("POST", "connection", {
        fromId: stream.id,
        toId: hook.id,
        data: { functions: [{ functionId: fn.id }], functionsEnv: { TOKEN: `${S}-env-value` } },
      })),
      201,
    );

    // Reads, lists, updates that send masks back, failed updates, link API, deletes, audit log.
    for (const type of ["destination", "stream", "service", "function", "connection", "link"]) {
      await r(c.cfg("GET", type));
    }
    for (
      const [type, o] of [
        ["destination", pg],
        ["destination", hook],
        ["destination", bq],
        ["stream", stream],
        [
          "service",
          svc,
        ],
        ["connection", conn],
      ] as const
    ) {
      const got = expectStatus(await r(c.cfg("GET", `${type}/${o.id}`)), 200);
      expectStatus(await r(c.cfg("PUT", `${type}/${o.id}`, got)), 200);
      await r(c.cfg("PUT", `${type}/${o.id}`, { ...got, name: "" }));
    }
    await r(c.cfg("PUT", `destination/${pg.id}`, { port: "not a number", password: `${S}-new-password` }));
    await r(
      c.cfg("POST", "destination", { name: "x", destinationType: "postgres", password: `${S}-rejected` }),
    );
    await r(c.cfg("DELETE", `destination/${hook.id}`));
    await r(c.cfg("DELETE", `destination/${hook.id}?cascade=true`));
    await r(c.call("GET", `/api/${u.workspace.id}/audit-log?limit=1000`));

    for (const x of replies) {
      const text = JSON.stringify(x.body);
      assert.ok(
        !text.includes(S),
        `a response leaked a secret: ${text.slice(text.indexOf(S) - 200, text.indexOf(S) + 50)}`,
      );
    }
    assert.ok(t.logLines.length >= replies.length, "the requests were logged");
    for (const line of t.logLines) assert.ok(!line.includes(S), `a log line leaked a secret: ${line}`);
    const audit = await t.deps.db.query("select before, after from audit_log");
    assert.ok(audit.length >= 10);
    assert.ok(!JSON.stringify(audit).includes(S), "the audit log stores masked versions only");
    const rows = await t.deps.db.query("select config, secrets from config_objects");
    assert.ok(!JSON.stringify(rows).includes(S), "secrets are encrypted at rest, never in config");
    const keys = await t.deps.db.query("select * from stream_keys");
    assert.ok(!JSON.stringify(keys).includes(S), "stream keys are hashed at rest");
  } finally {
    await t.close();
  }
});
