import assert from "node:assert/strict";
import { Hono } from "hono";
import { routePath } from "hono/route";
import { ConflictError } from "../../src/errors.ts";
import type { AppEnv } from "../../src/http/env.ts";
import { lazyRoutes, type RouteSpec } from "../../src/http/lazy_routes.ts";
import { notFoundHandler, restErrorHandler } from "../../src/http/rest_errors.ts";
import { PAGE_ROUTES } from "../../src/ui/page_routes.ts";
import { pageRoutesSource } from "../../tools/page_routes.ts";
import { testApp } from "../_helpers/app.ts";

/**
 * A group shaped like the console's: a middleware on its prefix that reads what the app's first middleware
 * set and calls next(), routes with params, one that throws, and a middleware on every other path that
 * falls through. Built fresh for each app, as the page groups are.
 */
function group(): Hono<AppEnv> {
  const g = new Hono<AppEnv>();
  g.use("/g/*", async function tag(c, next) {
    c.header("x-group", `seen ${c.get("requestId")}`);
    await next();
  });
  g.get("/g/boom", function boom() {
    throw new ConflictError("the group's own error");
  });
  g.get("/g/crash", function crash() {
    throw new Error("internal detail that must not leak");
  });
  g.get("/g/:id", (c) => c.json({ id: c.req.param("id"), route: routePath(c), request: c.get("requestId") }));
  g.all("/:any/*", async function passOn(_c, next) {
    await next();
  });
  return g;
}

const GROUP_ROUTES: RouteSpec[] = new Hono<AppEnv>().route("/", group()).routes.map((
  r,
) => [r.method, r.path]);

/** The app around the group: a first middleware that sets a variable and logs route patterns, a router
 * before and one after it, the app's error and not-found handlers. */
function appWith(mount: Hono<AppEnv>, routes: string[]) {
  const app = new Hono<AppEnv>();
  app.use("*", async function requestLog(c, next) {
    c.set("requestId", `${c.req.method} ${c.req.path}`);
    await next();
    routes.push(`${c.req.method} ${c.req.path} -> ${routePath(c)} ${c.res.status}`);
  });
  app.onError(restErrorHandler);
  app.notFound(notFoundHandler);
  app.get("/before", (c) => c.text("before"));
  app.route("/", mount);
  app.get("/later/x", (c) => c.text("later"));
  return app;
}

async function snapshot(res: Response) {
  return {
    status: res.status,
    type: res.headers.get("content-type"),
    group: res.headers.get("x-group"),
    body: await res.text(),
  };
}

const REQUESTS = ["/g/42", "/g/boom", "/g/crash", "/later/x", "/before", "/nobody/owns/this", "/", "/g"];

Deno.test("a lazy group answers every request, the first ones included, exactly as the mounted router does", async () => {
  const eagerRoutes: string[] = [];
  const eager = appWith(group(), eagerRoutes);
  const expected = [];
  for (const path of REQUESTS) expected.push(await snapshot(await eager.request(path)));
  assert.equal(expected[0].status, 200);
  assert.equal(expected[1].status, 409);
  assert.equal(expected[2].status, 500);
  assert.doesNotMatch(expected[2].body, /internal detail|at /, "no stack or message of an unexpected error");
  assert.equal(expected[3].body, "later");
  assert.equal(expected[5].status, 404);

  // Each path as the very first request of a fresh app (the group not loaded yet), then all in a row.
  for (const [i, path] of REQUESTS.entries()) {
    let loads = 0;
    const lazyLog: string[] = [];
    const lazy = appWith(
      lazyRoutes(GROUP_ROUTES, () => {
        loads++;
        return Promise.resolve(group());
      }),
      lazyLog,
    );
    assert.deepEqual(await snapshot(await lazy.request(path)), expected[i], `first request ${path}`);
    assert.equal(lazyLog[0], eagerRoutes[i], "the same route pattern for metrics and logs");
    assert.equal(loads, ["/before", "/"].includes(path) ? 0 : 1, `loads for ${path}`);
  }
  const lazyRoutesLog: string[] = [];
  const lazy = appWith(lazyRoutes(GROUP_ROUTES, () => Promise.resolve(group())), lazyRoutesLog);
  for (const [i, path] of REQUESTS.entries()) {
    assert.deepEqual(await snapshot(await lazy.request(path)), expected[i], `warm request ${path}`);
  }
  assert.deepEqual(lazyRoutesLog, eagerRoutes);
});

Deno.test("concurrent first requests to a lazy group load it once and all get the warm answer", async () => {
  let loads = 0;
  const { promise: gate, resolve: open } = Promise.withResolvers<void>();
  const lazy = appWith(
    lazyRoutes(GROUP_ROUTES, async () => {
      loads++;
      await gate;
      return group();
    }),
    [],
  );
  const pending = Array.from({ length: 8 }, (_, i) => lazy.request(`/g/${i}`));
  await new Promise((r) => setTimeout(r, 10));
  open();
  const answers = await Promise.all(pending.map(async (p) => await (await p).json()));
  assert.equal(loads, 1);
  assert.deepEqual(
    answers.map((a) => [a.id, a.route]),
    Array.from({ length: 8 }, (_, i) => [`${i}`, "/g/:id"]),
  );
});

Deno.test("a lazy group that fails to load answers a clean 500 JSON error and loads again on the next request", async () => {
  let loads = 0;
  const lazy = appWith(
    lazyRoutes(GROUP_ROUTES, () => {
      loads++;
      return loads === 1
        ? Promise.reject(new Error("module not found: /secret/path.ts"))
        : Promise.resolve(group());
    }),
    [],
  );
  const failed = await lazy.request("/g/1");
  assert.equal(failed.status, 500);
  const body = await failed.json();
  assert.equal(body.error.code, "internal");
  assert.doesNotMatch(JSON.stringify(body), /secret|module not found|at /);
  // Paths the group does not own never wait for it.
  assert.equal(await (await lazy.request("/later/x")).text(), "later");
  assert.equal((await lazy.request("/g/2")).status, 200);
  assert.equal(loads, 2);
});

Deno.test("a lazy group whose router no longer matches its route list refuses to run any handler", async () => {
  let ran = false;
  const stale: RouteSpec[] = GROUP_ROUTES.map(([m, p]) => [m, p === "/g/boom" ? "/g/old" : p]);
  const lazy = appWith(
    lazyRoutes(stale, () => {
      const g = group();
      g.get("/g/extra", () => {
        ran = true;
        return new Response("ran");
      });
      return Promise.resolve(g);
    }),
    [],
  );
  const res = await lazy.request("/g/1");
  assert.equal(res.status, 500);
  assert.equal((await res.json()).error.code, "internal");
  assert.equal(ran, false);
});

Deno.test("src/ui/page_routes.ts lists each page group's routes as its router registers them", async () => {
  assert.equal(
    await Deno.readTextFile(new URL("../../src/ui/page_routes.ts", import.meta.url)),
    pageRoutesSource(),
    "src/ui/page_routes.ts is stale: run `deno task routes`",
  );
  assert.ok(PAGE_ROUTES.console.length > 10);
});

Deno.test("the server's module graph leaves out the pages, OAuth, the console and JSX (they load on first request)", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "src/server.ts"],
    cwd: new URL("../../", import.meta.url),
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.ok(out.success);
  // What `deno run` loads: code imports, not type-only ones, not dynamic ones.
  const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    roots: string[];
    modules: { specifier: string; dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[] }[];
  };
  const edges = new Map(graph.modules.map((m) => [m.specifier, m.dependencies ?? []]));
  const local = new Set<string>();
  const packages = new Set<string>();
  const todo = [...graph.roots];
  for (let s = todo.pop(); s !== undefined; s = todo.pop()) {
    if (local.has(s)) continue;
    if (!s.startsWith("file:")) {
      packages.add(s);
      continue;
    }
    local.add(s);
    for (const d of edges.get(s) ?? []) if (d.code && !d.isDynamic) todo.push(d.code.specifier);
  }
  assert.ok([...local].some((s) => s.endsWith("/src/app.ts")));
  const lazyModules = [
    "/src/ui/pages.ts",
    "/src/ui/console/router.tsx",
    "/src/oauth/router.ts",
    "/src/ui/login.tsx",
    "/src/ui/layout.tsx",
    "/src/ui/api_reference_page.tsx",
  ];
  for (const lazy of lazyModules) {
    assert.ok(![...local].some((s) => s.endsWith(lazy)), `${lazy} is in the server's static graph`);
  }
  assert.ok([...packages].some((p) => p.includes("hono")));
  for (const p of packages) {
    assert.doesNotMatch(p, /hono@[^/]*\/(jsx|html|cookie)/, `${p} is in the server's static graph`);
    assert.ok(p !== "node:zlib", "node:zlib loads with the first /p.js");
  }
});

Deno.test("the app's first requests to its pages answer as warm ones; unknown paths still get the JSON 404", async () => {
  const t = await testApp();
  try {
    // Concurrent first requests to a page group, then a warm one.
    const first = await Promise.all(Array.from({ length: 4 }, () => t.request("/login")));
    const warm = await t.request("/login");
    for (const res of [...first, warm]) {
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), warm.headers.get("content-type"));
      assert.equal(res.headers.get("content-security-policy"), warm.headers.get("content-security-policy"));
      assert.match(await res.text(), /name="csrf" value="[^"]+"/);
    }
    assert.equal(
      t.deps.metrics.value("sluice_http_requests_total", { route: "/login", method: "GET", status: 200 }),
      5,
    );
    // The console's catch-all patterns are the first to see these: they still end in the app's JSON 404.
    for (const [method, path] of [["GET", "/api/no-such-route"], ["DELETE", "/"], ["GET", "/.hidden/x"]]) {
      const res = await t.request(path, { method });
      assert.equal(res.status, 404, `${method} ${path}`);
      const body = await res.json();
      assert.equal(body.error.code, "not_found");
    }
    // A console page without a session goes to the login page, from the first request on.
    const fresh = await testApp({ sameDbAs: t });
    try {
      const page = await fresh.request("/some-workspace/streams");
      const again = await fresh.request("/some-workspace/streams");
      assert.equal(page.status, again.status);
      assert.equal(page.headers.get("location"), again.headers.get("location"));
      assert.equal(await page.text(), await again.text());
    } finally {
      await fresh.close();
    }
  } finally {
    await t.close();
  }
});
