import type { Env } from "../../workers/env.js";

declare module "cloudflare:test" {
  interface ProvidedEnv extends Env {}
}
declare global {
  namespace Cloudflare {
    interface Env extends import("../../workers/env.js").Env {}
  }
}
