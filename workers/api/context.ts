import type { Env } from "../env.js";
import type { Config } from "../env.js";
import type { Principal } from "../auth/principal.js";

/** Hono's typing for every route: bindings plus values set by middleware. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    config: Config;
    requestId: string;
    principal: Principal;
  };
}
