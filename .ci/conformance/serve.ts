/**
 * A throwaway Sluice for the MCP conformance suite: in-memory store, one user with a personal API key,
 * and a tiny proxy in front of the app that adds that key's `Authorization` header, because the suite's
 * server mode sends none. Nothing in src/ has an auth bypass; this file is never part of the product.
 * Prints the `/mcp` URL on stdout, then serves until killed.
 */
import { testApp } from "../../tests/_helpers/app.ts";

const t = await testApp({ env: { LOG_LEVEL: "warn" } });
const user = await t.user();

function withKey(req: Request): Request {
  const headers = new Headers(req.headers);
  headers.set("authorization", user.auth);
  return new Request(req, { headers });
}

const { promise: listening, resolve } = Promise.withResolvers<Deno.NetAddr>();
const server = Deno.serve(
  { port: Number(Deno.env.get("PORT") ?? 0), hostname: "127.0.0.1", onListen: resolve },
  function proxy(req) {
    return t.app.fetch(withKey(req));
  },
);
const addr = await listening;
console.log(`http://127.0.0.1:${addr.port}/mcp`);

async function stop() {
  await server.shutdown();
  await t.close();
  Deno.exit(0);
}
Deno.addSignalListener("SIGTERM", stop);
Deno.addSignalListener("SIGINT", stop);
