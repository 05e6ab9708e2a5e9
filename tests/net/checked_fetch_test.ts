import assert from "node:assert/strict";
import { checkedFetch } from "../../src/net/checked_fetch.ts";
import { FetchBlockedError } from "../../src/net/url_guard.ts";
import { routedFetch, tableResolver } from "./_helpers.ts";

const resolve = tableResolver({ "public.example": ["93.184.216.34"], "private.example": ["192.168.1.20"] });

/** A local server that redirects by path: /to?l=LOCATION&s=STATUS, /loop, /echo (method and body). */
function redirector() {
  return Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const u = new URL(req.url);
    if (u.pathname === "/to") {
      const status = Number(u.searchParams.get("s") ?? "302");
      return new Response(null, { status, headers: { location: u.searchParams.get("l")! } });
    }
    if (u.pathname === "/loop") return new Response(null, { status: 302, headers: { location: "/loop" } });
    return Response.json({
      method: req.method,
      body: await req.text(),
      type: req.headers.get("content-type"),
    });
  });
}

function to(location: string, status = 302): string {
  return `http://public.example/to?${new URLSearchParams({ l: location, s: String(status) })}`;
}

Deno.test("checkedFetch() refuses a redirect to a private address before connecting to it", async () => {
  await using server = redirector();
  for (
    const target of [
      "http://10.0.0.1/admin",
      "http://private.example/",
      "http://[2002:7f00:1::]/",
      "http://2130706433/",
      "http://[::ffff:192.168.0.1]:8080/",
      "http://169.254.169.254/latest/meta-data/",
    ]
  ) {
    const routed = routedFetch("public.example", server.addr.port);
    await assert.rejects(
      checkedFetch(to(target), {}, { allowPrivateNetwork: false, resolve, fetch: routed.fetch }),
      (e) => e instanceof FetchBlockedError && /non-public|metadata/.test(e.message),
      target,
    );
    assert.deepEqual(routed.asked, [to(target)], `${target} was never asked for`);
  }
});

Deno.test("checkedFetch() follows public redirects, at most maxRedirects of them", async () => {
  await using server = redirector();
  const routed = routedFetch("public.example", server.addr.port);
  const opts = { allowPrivateNetwork: false, resolve, fetch: routed.fetch };
  const res = await checkedFetch(to("/echo"), {}, opts);
  assert.equal(res.status, 200);
  assert.equal((await res.json()).method, "GET");
  assert.deepEqual(routed.asked, [to("/echo"), "http://public.example/echo"]);

  routed.asked.length = 0;
  await assert.rejects(
    checkedFetch("http://public.example/loop", {}, { ...opts, maxRedirects: 3 }),
    /^FetchBlockedError: Cannot fetch http:\/\/public\.example: more than 3 redirects$/,
  );
  assert.equal(routed.asked.length, 4);

  const unfollowed = await checkedFetch(to("http://10.0.0.1/"), {}, { ...opts, maxRedirects: 0 });
  assert.equal(unfollowed.status, 302, "with maxRedirects 0 the redirect itself is the answer");
  await unfollowed.body?.cancel();
});

Deno.test("checkedFetch() turns POST into GET on 303 and keeps the method and body on 307", async () => {
  await using server = redirector();
  const routed = routedFetch("public.example", server.addr.port);
  const opts = { allowPrivateNetwork: false, resolve, fetch: routed.fetch };
  const post = { method: "POST", body: '{"a":1}', headers: { "content-type": "application/json" } };
  const seeOther = await (await checkedFetch(to("/echo", 303), post, opts)).json();
  assert.deepEqual(seeOther, { method: "GET", body: "", type: null });
  const temporary = await (await checkedFetch(to("/echo", 307), post, opts)).json();
  assert.deepEqual(temporary, { method: "POST", body: '{"a":1}', type: "application/json" });
});
