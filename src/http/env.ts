import type { Ctx, Deps } from "../deps.ts";

/** Hono's typing for Sluice routes: what middleware puts on `c`. */
export interface AppEnv {
  Variables: {
    requestId: string;
    deps: Deps;
    /** Set by requireAuth() on authenticated routes. */
    ctx: Ctx;
  };
}
