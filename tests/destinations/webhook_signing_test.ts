/** Webhook request signing (HMAC-SHA256 of the body) and header templates, through the pipeline. */
import assert from "node:assert/strict";
import { Pipeline } from "../../src/pipeline/pipeline.ts";
import { getResource } from "../../src/services/resources.ts";
import { expectJson, testApp } from "../_helpers/app.ts";
import { setupPipeline } from "../pipeline/fixtures.ts";

function rawReceiver() {
  const got: { text: string; headers: Headers }[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    got.push({ text: await req.text(), headers: req.headers });
    return new Response("ok");
  });
  return { got, url: `http://127.0.0.1:${server.addr.port}/hook`, close: () => server.shutdown() };
}

async function hmacHex(secret: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify", "sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body)));
  return [...mac].map((b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("webhook signs the exact body with signingSecret and fills header templates from the event and env", async () => {
  const r = rawReceiver();
  const t = await testApp();
  const pipeline = new Pipeline(t.deps, { workers: 0 });
  try {
    const u = await t.user();
    const secret = "whsec-0123456789";
    const s = await setupPipeline(u, {
      destination: {
        destinationType: "webhook",
        url: r.url,
        signingSecret: secret,
        headers: [
          "X-Event-Id: {{ EVENT.messageId }}",
          "Authorization: Bearer {{ env.TOKEN }}",
          "X-Kind: {{EVENT.type}}",
          "X-Note: {{ EVENT.properties.note }}",
        ],
      },
      functionsEnv: { TOKEN: "env-token-42" },
    });
    for (const messageId of ["sig-1", "sig-2"]) {
      const res = await t.request("/api/s/s2s/track", {
        method: "POST",
        headers: { "x-write-key": s.serverKey },
        json: { event: "Signed", messageId, userId: "u1", properties: { note: "a\r\nX-Injected: 1" } },
      });
      await expectJson(res, 200);
    }
    await pipeline.drain();
    assert.equal(r.got.length, 2);
    for (const g of r.got) {
      assert.equal(g.headers.get("x-webhook-signature"), `sha256=${await hmacHex(secret, g.text)}`);
      assert.equal(g.headers.get("authorization"), "Bearer env-token-42");
      assert.equal(g.headers.get("x-kind"), "track");
      assert.equal(g.headers.get("x-injected"), null, "a CR/LF in an event value never splits a header");
    }
    const ids = r.got.map((g) => g.headers.get("x-event-id")).sort();
    assert.deepEqual(ids, ["sig-1", "sig-2"]);
    assert.equal(r.got[0].headers.get("x-note"), "aX-Injected: 1");
    const tampered = r.got[0].text.replace("Signed", "Forged");
    assert.notEqual(r.got[0].headers.get("x-webhook-signature"), `sha256=${await hmacHex(secret, tampered)}`);
    const shown = await getResource(u.ctx, {
      workspaceId: u.workspace.id,
      type: "destination",
      id: s.destinationId,
    });
    assert.equal((shown as Record<string, unknown>).signingSecret, "__MASKED_BY_JITSU__");
    assert.ok(!JSON.stringify(shown).includes(secret));
  } finally {
    await pipeline.stop();
    await t.close();
    await r.close();
  }
});

Deno.test("webhook puts the signature in signatureHeader when one is set, and refuses a bad header name", async () => {
  const r = rawReceiver();
  const t = await testApp();
  const pipeline = new Pipeline(t.deps, { workers: 0 });
  try {
    const u = await t.user();
    const s = await setupPipeline(u, {
      destination: {
        destinationType: "webhook",
        url: r.url,
        signingSecret: "k",
        signatureHeader: "X-Sluice-Signature",
      },
    });
    const res = await t.request("/api/s/s2s/track", {
      method: "POST",
      headers: { "x-write-key": s.serverKey },
      json: { event: "E", messageId: "m1", userId: "u1" },
    });
    await expectJson(res, 200);
    await pipeline.drain();
    assert.equal(r.got[0].headers.get("x-sluice-signature"), `sha256=${await hmacHex("k", r.got[0].text)}`);
    assert.equal(r.got[0].headers.get("x-webhook-signature"), null);
    const bad = await t.request(`/api/${u.workspace.id}/config/destination`, {
      method: "POST",
      headers: { authorization: u.auth },
      json: { name: "w", destinationType: "webhook", url: r.url, signatureHeader: "Bad Header" },
    });
    const body = await expectJson(bad, 400);
    assert.match(JSON.stringify(body), /signatureHeader: must be a header name/);
  } finally {
    await pipeline.stop();
    await t.close();
    await r.close();
  }
});
