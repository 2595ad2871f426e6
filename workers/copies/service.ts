/**
 * @module copies/service
 * The Copy Pipes API's role functions: run a copy on request
 * (`POST /v0/pipes/<pipe>/copy`), pause and resume its schedule. A run is a
 * job (workers/jobs): created with the pipe's lock, so it is refused (409)
 * while the previous run of the pipe is unfinished, and (429) past the
 * workspace's cap on concurrent runs.
 */
import { z } from "zod";
import { isScheduled } from "../../shared/cron/cron.js";
import { invalidRequest } from "../../shared/errors.js";
import { ensureAllowed } from "../auth/require.js";
import type { Principal } from "../auth/principal.js";
import type { JobRecord } from "../catalog/workspace-catalog.js";
import type { LiveDeployment } from "../catalog/client.js";
import { enqueueRun } from "../jobs/enqueue.js";
import type { Platform } from "../platform/platform.js";
import { copyPipe } from "./copy-sql.js";

export interface CopyRequest {
  live: LiveDeployment | undefined;
  pipe: string;
  /** Query string and form fields: template params, plus `_mode`. */
  params: Record<string, string>;
}

const Options = z.object({ _mode: z.enum(["append", "replace"], { error: "_mode must be append or replace" }).optional() });

/** Request options that are not template params. */
const NOT_PARAMS = new Set(["_mode", "token", "mode"]);

/** Starts a run of a copy pipe; answers its job (status `waiting`). */
export async function requestCopy(platform: Platform, principal: Principal, req: CopyRequest): Promise<JobRecord> {
  ensureAllowed(principal, { kind: "admin" });
  const { publication } = copyPipe(req.live, req.pipe);
  const options = Options.safeParse(req.params);
  if (!options.success) throw invalidRequest(options.error);
  const params = Object.fromEntries(Object.entries(req.params).filter(([k]) => !NOT_PARAMS.has(k)));
  const at = new Date(platform.clock.now()).toISOString();
  return enqueueRun(platform, principal.workspaceId, {
    id: crypto.randomUUID(),
    kind: "copy",
    pipe: req.pipe,
    datasource: publication.targetDatasource,
    details: {
      trigger: "request",
      job_timestamp: at,
      params: JSON.stringify(params),
      options: JSON.stringify(options.data._mode ? { mode: options.data._mode } : {}),
    },
  });
}

/** Pauses (or resumes) a copy pipe's schedule; on-demand runs still work while paused. */
export async function setCopyPaused(platform: Platform, principal: Principal, req: { live: LiveDeployment | undefined; pipe: string; paused: boolean }) {
  ensureAllowed(principal, { kind: "admin" });
  const { publication } = copyPipe(req.live, req.pipe);
  const state = await platform.catalog.workspace(principal.workspaceId).setPipePaused(req.pipe, req.paused, new Date(platform.clock.now()).toISOString());
  return copyPipeJson(req.pipe, publication, state.paused);
}

/** A copy pipe as the pause/resume answers show it (Tinybird's pipe fields for copies). */
export function copyPipeJson(name: string, publication: { targetDatasource: string; schedule: string; mode: string; after?: string[] }, paused: boolean) {
  const scheduled = isScheduled(publication.schedule);
  return {
    id: name,
    name,
    type: "copy",
    copy_target_datasource: publication.targetDatasource,
    copy_mode: publication.mode,
    copy_schedule: publication.schedule,
    ...(publication.after ? { copy_after: publication.after } : {}),
    schedule: { cron: scheduled ? publication.schedule : null, timezone: "Etc/UTC", status: paused ? "paused" : scheduled ? "running" : "on-demand" },
  };
}
