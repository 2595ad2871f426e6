import type { Env as WorkerEnv } from "../../workers/env.js";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {}
  }
}
