/**
 * @module imports/service
 * An import run on request (`POST /v0/datasources/<ds>/scheduling/runs`,
 * what `tb datasource sync` calls): the datasource must be an S3/GCS import
 * datasource of the live deployment; the run is a job holding the import's
 * lock (`import:<datasource>`), so it is refused (409) while a run of that
 * import is unfinished, and (429) past the workspace's cap on runs.
 */
import { NotFoundError, BadRequestError } from "../../shared/errors.js";
import { ensureAllowed } from "../auth/require.js";
import type { Principal } from "../auth/principal.js";
import type { JobRecord } from "../catalog/workspace-catalog.js";
import type { LiveDeployment } from "../catalog/client.js";
import { enqueueRun } from "../jobs/enqueue.js";
import type { Platform } from "../platform/platform.js";

/** The job kind and lock of a datasource's import (as the scheduler makes them: ../scheduler/imports.ts). */
export function importRunOf(live: LiveDeployment | undefined, datasource: string): { kind: "s3_sync" | "gcs_sync"; lock: string } {
  const ds = live?.manifest.datasources[datasource];
  if (!ds) throw new NotFoundError(`Data Source '${datasource}' not found`);
  const settings = ds.file.import;
  const type = settings ? live!.manifest.connections[settings.connectionName]?.connection.type : undefined;
  if (!settings?.bucketUri || (type !== "s3" && type !== "gcs")) {
    throw new BadRequestError(`Data Source '${datasource}' is not connected to S3 or GCS (IMPORT_CONNECTION_NAME with an s3 or gcs connection, and IMPORT_BUCKET_URI); nothing to sync`);
  }
  return { kind: type === "gcs" ? "gcs_sync" : "s3_sync", lock: `import:${datasource}` };
}

export async function requestImport(platform: Platform, principal: Principal, datasource: string): Promise<JobRecord> {
  ensureAllowed(principal, { kind: "append", datasource });
  const live = await platform.catalog.liveDeployment(principal.workspaceId);
  const { kind, lock } = importRunOf(live, datasource);
  return enqueueRun(platform, principal.workspaceId, {
    id: crypto.randomUUID(),
    kind,
    lock,
    datasource,
    details: { trigger: "request", job_timestamp: new Date(platform.clock.now()).toISOString(), params: "{}", options: "{}" },
  });
}
