/**
 * @module sinks/service
 * The Sink Pipes API's role function: run a sink on request
 * (`POST /v0/pipes/<pipe>/sink`). A run is a job (workers/jobs) created with
 * the pipe's lock: refused (409) while the previous run of the pipe is
 * unfinished, and (429) past the workspace's cap on concurrent runs. The pipe
 * and its connection are checked now, so a request for a missing pipe or
 * connection is answered at once instead of becoming a failed job.
 */
import { z } from "zod";
import { invalidRequest } from "../../shared/errors.js";
import { ensureAllowed } from "../auth/require.js";
import type { Principal } from "../auth/principal.js";
import type { JobRecord } from "../catalog/workspace-catalog.js";
import type { LiveDeployment } from "../catalog/client.js";
import { enqueueRun } from "../jobs/enqueue.js";
import type { Platform } from "../platform/platform.js";
import { kafkaSinkPipe, sinkPipe } from "./sink-sql.js";

export interface SinkRequest {
  live: LiveDeployment | undefined;
  pipe: string;
  /** Query string and form fields: template params, plus `_mode` / `_write_strategy`. */
  params: Record<string, string>;
}

/** `tb sink run --mode append|replace` and the Sink API's write strategies, for this run only. */
const STRATEGIES = { new: "new", create_new: "new", append: "new", truncate: "truncate", replace: "truncate" } as const;
const Strategy = z.enum(Object.keys(STRATEGIES) as [keyof typeof STRATEGIES], { error: "_mode must be new, truncate, append or replace" });
const Options = z.object({ _mode: Strategy.optional(), _write_strategy: Strategy.optional() });

/** Request options that are not template params. */
const NOT_PARAMS = new Set(["_mode", "_write_strategy", "token"]);

/** Starts a run of a sink pipe; answers its job (status `waiting`). */
export async function requestSink(platform: Platform, principal: Principal, req: SinkRequest): Promise<JobRecord> {
  ensureAllowed(principal, { kind: "admin" });
  if (!kafkaSinkPipe(req.live, req.pipe)) sinkPipe(req.live, req.pipe);
  const options = Options.safeParse(req.params);
  if (!options.success) throw invalidRequest(options.error);
  const chosen = options.data._write_strategy ?? options.data._mode;
  const params = Object.fromEntries(Object.entries(req.params).filter(([k]) => !NOT_PARAMS.has(k)));
  return enqueueRun(platform, principal.workspaceId, {
    id: crypto.randomUUID(),
    kind: "sink",
    pipe: req.pipe,
    details: {
      trigger: "request",
      job_timestamp: new Date(platform.clock.now()).toISOString(),
      params: JSON.stringify(params),
      options: JSON.stringify(chosen ? { strategy: STRATEGIES[chosen] } : {}),
    },
  });
}
