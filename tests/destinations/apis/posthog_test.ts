/**
 * PostHog through the pipeline with the `host` setting (as a self-hosted instance), test_connection over
 * REST and MCP, and the http:// rule, against the stand-in in _standins/posthog.ts.
 */
import assert from "node:assert/strict";
import { apiDriverOf } from "../../../src/destinations/apis/api_drivers.ts";
import { testConnectionTool } from "../../../src/mcp/tools/test_connection.ts";
import { createResource } from "../../../src/services/resources.ts";
import { expectJson, testApp } from "../../_helpers/app.ts";
import { deliver, pageTrackIdentify } from "./_pipeline.ts";
import { POSTHOG_KEY, posthogStandIn } from "./_standins/posthog.ts";
import { recordedSleep, tracks, writeEvents } from "./_write.ts";

Deno.test("[posthog] page, track, identify and group reach a self-hosted instance through its host setting", async () => {
  const s = posthogStandIn();
  const t = await testApp();
  try {
    const u = await t.user();
    const events = [
      ...pageTrackIdentify("ph"),
      {
        type: "group",
        body: { messageId: "ph-group", userId: "user-42", groupId: "acme", traits: { plan: "pro" } },
      },
    ];
    const { entries } = await deliver(t, u, {
      destination: { destinationType: "posthog", key: POSTHOG_KEY, host: s.url, enableGroupAnalytics: true },
      events,
    });
    assert.deepEqual(
      entries.map((e) => e.status),
      ["SUCCESS", "SUCCESS", "SUCCESS", "SUCCESS"],
      JSON.stringify(entries),
    );
    const names = s.events.map((e) => e.event);
    assert.deepEqual(names, [
      "$pageview",
      "Order Completed",
      "$identify",
      "$create_alias",
      "$create_alias",
      "$groupidentify",
    ]);
    const page = s.events[0] as { distinct_id: string; properties: Record<string, unknown> };
    assert.equal(page.distinct_id, "user-42");
    assert.equal(page.properties.$current_url, "https://shop.example/cart?gclid=abc");
    assert.equal(page.properties.$host, "shop.example");
    assert.deepEqual(s.events[2].properties, {
      $anon_distinct_id: "anon-777-xyz",
      $set: { email: "ada@example.com", name: "Ada" },
    });
    assert.deepEqual(s.events.slice(3, 5).map((e) => (e.properties as { alias: string }).alias), [
      "anon-777-xyz",
      "ada@example.com",
    ]);
    assert.deepEqual(s.events[5].properties, {
      $group_type: "company",
      $group_key: "acme",
      $group_set: { plan: "pro" },
    });
    assert.equal(s.seen.length, 1, "one /batch/ request for the claimed events");
    assert.equal(s.seen[0].path, "/batch/");
  } finally {
    await t.close();
    await s.close();
  }
});

Deno.test("[posthog] a wrong key fails with PostHog's detail; a 429 waits for Retry-After", async () => {
  const s = posthogStandIn();
  const rec = recordedSleep();
  try {
    const driver = apiDriverOf("posthog", { allowPrivateNetwork: true, sleep: rec.sleep });
    const [bad] = await writeEvents(driver, { key: "phc_wrong", host: s.url }, tracks(1));
    assert.equal(bad.status, "FAILED");
    assert.equal(bad.retryable, false);
    assert.equal(
      bad.error,
      "PostHog answered 401: Project API key invalid. You can find your project API key in PostHog project settings.",
    );
    s.forced.push({ status: 429, json: { detail: "Rate limit exceeded" }, headers: { "retry-after": "1" } });
    const ok = await writeEvents(driver, { key: POSTHOG_KEY, host: s.url }, tracks(2));
    assert.deepEqual(ok.map((r) => r.status), ["SUCCESS", "SUCCESS"]);
    assert.deepEqual(rec.waits, [1000]);
  } finally {
    await s.close();
  }
});

Deno.test("[posthog] http:// is refused for a public host, and for a private one when private networks are off", async () => {
  const s = posthogStandIn();
  try {
    const open = apiDriverOf("posthog", { allowPrivateNetwork: true });
    const [pub] = await writeEvents(open, { key: POSTHOG_KEY, host: "http://93.184.216.34" }, tracks(1));
    assert.equal(pub.status, "FAILED");
    assert.equal(pub.retryable, false);
    assert.match(pub.error!, /http:\/\/ is accepted only for a loopback or private host/);
    const closed = apiDriverOf("posthog", { allowPrivateNetwork: false });
    const [priv] = await writeEvents(closed, { key: POSTHOG_KEY, host: s.url }, tracks(1));
    assert.equal(priv.status, "FAILED");
    assert.match(priv.error!, /DESTINATIONS_ALLOW_PRIVATE_NETWORK=true/);
    assert.equal(s.seen.length, 0, "nothing reached the stand-in");
  } finally {
    await s.close();
  }
});

Deno.test("[posthog] test_connection answers the same over REST and MCP, sending no event", async () => {
  const s = posthogStandIn();
  const t = await testApp();
  try {
    const u = await t.user();
    const ws = u.workspace.id;
    const dest = await createResource(u.ctx, {
      workspaceId: ws,
      type: "destination",
      data: { name: "PostHog", destinationType: "posthog", key: POSTHOG_KEY, host: s.url },
    }) as { id: string };
    const expected = {
      ok: true,
      destinationType: "posthog",
      message: `Checked: ${s.url} accepts the project API key (POST /decide/, records no event).`,
    };
    const rest = await t.request(`/api/${ws}/config/destination/test`, {
      method: "POST",
      headers: { authorization: u.auth },
      json: { id: dest.id },
    });
    assert.deepEqual(await expectJson(rest, 200), expected);
    const tool = testConnectionTool();
    const mcp = await tool.call(u.ctx, { workspaceId: ws, id: dest.id });
    assert.deepEqual(mcp.structuredContent, expected);
    const wrong = await tool.call(u.ctx, { workspaceId: ws, id: dest.id, config: { key: "phc_nope" } });
    assert.deepEqual(wrong.structuredContent, {
      ok: false,
      destinationType: "posthog",
      step: "authenticate",
      error:
        "PostHog answered 401: Project API key invalid. You can find your project API key in PostHog project settings.",
    });
    assert.equal(s.events.length, 0);
    assert.deepEqual(s.seen.map((r) => r.path), ["/decide/", "/decide/", "/decide/"]);
  } finally {
    await t.close();
    await s.close();
  }
});
