import type { Env } from "../env.js";
import type { Platform } from "../platform/platform.js";
import type { Principal } from "../auth/principal.js";

/** Hono's typing for every route: bindings plus what middleware sets (the platform, then the caller). */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    platform: Platform;
    principal: Principal;
  };
}
