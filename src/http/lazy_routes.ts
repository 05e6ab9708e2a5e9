import { type Handler, Hono } from "hono";
import type { AppEnv } from "./env.ts";

/** One route as Hono registers it when a router is mounted at `/`: its method (`ALL` for `use`) and path. */
export type RouteSpec = readonly [method: string, path: string];

/**
 * A router whose module loads on the first request that matches one of its routes, so the server does not
 * load it before it can answer `/healthz`.
 *
 * `routes` lists the routes that mounting the real router at `/` registers, in order (src/ui/page_routes.ts,
 * written by `deno task routes`). Each becomes a route of the same method and path here, so Hono matches a
 * request against the same patterns in the same order as if the real router were mounted: the middleware
 * before it has run on the same context, its params and route pattern are the same, and a path none of the
 * routes matches goes on to the routers after it. On the first match, `load` builds the real router once
 * (concurrent first requests wait for the same load), and each route calls the real handler registered at
 * its own index with the request's context and `next`: errors reach the app's error handler as before.
 *
 * Handlers are found by index, so the real router's routes must be exactly `routes`: when they are not (the
 * list is stale), loading fails with an error saying so instead of running a handler under another path's
 * pattern. A failed load answers that request through the app's error handler (a 500) and is tried again by
 * the next request.
 */
export function lazyRoutes(routes: readonly RouteSpec[], load: () => Promise<Hono<AppEnv>>): Hono<AppEnv> {
  let loading: Promise<Handler<AppEnv>[]> | undefined;
  function handlers(): Promise<Handler<AppEnv>[]> {
    loading ??= load().then(function registered(router) {
      const mounted = new Hono<AppEnv>().route("/", router).routes;
      const stale = mounted.length !== routes.length ||
        mounted.some((r, i) => r.method !== routes[i][0] || r.path !== routes[i][1]);
      if (stale) {
        throw new Error(
          `the lazily loaded routes (${routes.length}) differ from the router's (${mounted.length}): ` +
            "run `deno task routes`",
        );
      }
      return mounted.map((r) => r.handler as Handler<AppEnv>);
    }).catch(function retryLater(e) {
      loading = undefined;
      throw e;
    });
    return loading;
  }
  const router = new Hono<AppEnv>();
  routes.forEach(function register([method, path], i) {
    router.on(method, path, async function lazyRoute(c, next) {
      const real = await handlers();
      return real[i](c, next);
    });
  });
  return router;
}
