/**
 * @module scheduler/imports
 * The S3/GCS import datasources of a live deployment as schedules the
 * catalog decides with the pipes' (shared/deploy/schedule.ts): `@auto` runs at
 * every tick (Tinybird's continuous ingestion; a tick is a minute), a cron on
 * its fire times, `@once` at the first tick after the deployment that brings it
 * is promoted, `@on-demand` never (only `POST /v0/datasources/<ds>/scheduling/runs`).
 * The key `import:<datasource>` is the schedule's and the run's lock, so two
 * runs of one import never overlap and a redelivered tick finds its fire time
 * already taken. Staged deployments are not live and do not import.
 */
import { importSchedule } from "../../shared/connectors/import-source.js";
import type { DeploymentManifest } from "../../shared/deploy/manifest.js";
import type { ScheduledPipe } from "../../shared/deploy/schedule.js";

/** The job kind of an import from a connection of `type` (Tinybird's jobs_log kinds). */
export function importKind(type: string): "s3_sync" | "gcs_sync" {
  return type === "gcs" ? "gcs_sync" : "s3_sync";
}

/** The schedule (and lock) key of a datasource's import. */
export function importKey(datasource: string): string {
  return `import:${datasource}`;
}

export function scheduledImports(manifest: DeploymentManifest, kinds: readonly string[]): Array<ScheduledPipe & { datasource: string }> {
  const out: Array<ScheduledPipe & { datasource: string }> = [];
  for (const { name, file } of Object.values(manifest.datasources)) {
    if (!file.import?.bucketUri) continue;
    const connection = manifest.connections[file.import.connectionName];
    if (connection?.connection.type !== "s3" && connection?.connection.type !== "gcs") continue;
    const kind = importKind(connection.connection.type);
    if (!kinds.includes(kind)) continue;
    const schedule = importSchedule(file.import.schedule);
    const base = { pipe: importKey(name), kind, import: name, datasource: name };
    if (schedule.kind === "auto") out.push({ ...base, cron: "* * * * *" });
    else if (schedule.kind === "cron") out.push({ ...base, cron: schedule.cron });
    else if (schedule.kind === "once") out.push({ ...base, cron: "* * * * *", once: true });
  }
  return out;
}
