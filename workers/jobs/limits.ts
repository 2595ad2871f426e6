/**
 * @module jobs/limits
 * A workspace's bounds on runs as the catalog enforces them (config.jobs in
 * ../env.ts): how many copy and sink runs may be waiting or working at once,
 * and when a run that stopped reporting is abandoned.
 */
import type { RunLimits } from "../catalog/workspace-catalog.js";
import type { Platform } from "../platform/platform.js";

/** The job kinds that are runs (each holds a lock: its pipe's, or an S3/GCS import's `import:<datasource>`). */
export const RUN_KINDS = ["copy", "sink", "s3_sync", "gcs_sync"];

export function runLimits(platform: Platform): RunLimits {
  const { workspaceConcurrency, abandonAfterSeconds } = platform.config.jobs;
  return { kinds: RUN_KINDS, maxUnfinished: workspaceConcurrency, staleAfterMs: abandonAfterSeconds * 1000 };
}
