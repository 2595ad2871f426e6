/**
 * @module deploy/s3-imports
 * What a deployment does for its S3/GCS import datasources (`IMPORT_*`;
 * the runs themselves are workers/imports/, started by the scheduler):
 *
 * - `prepareImports` (apply): each import datasource's record of files seen,
 *   `<datasource>__import_files`, kept across deployments (so a redeploy, also
 *   one that changes the datasource's table, never loads a file again), and
 *   the table setting that drops a file's repeated insert as a duplicate (on
 *   the datasource's table and its quarantine);
 * - `checkImportBuckets` (`deploy --check`): each import's bucket listed
 *   through ClickHouse with the connection's key pair, so a missing bucket, a
 *   refused key or an unreachable host is said before anything changes. Its
 *   feedback never carries a credential.
 */
import type { ClickHouseClient } from "@clickhouse/client-web";
import { bucketAdvice, importFilesTableFor, importSpec, scrubSecrets } from "../../shared/connectors/import-source.js";
import { importDedupSettingSql, importFilesTableSql, listImportFiles, type ImportExecutor } from "../../shared/connectors/s3-import.js";
import type { DeploymentFeedback, DeploymentManifest } from "../../shared/deploy/manifest.js";
import type { Platform } from "../platform/platform.js";
import { clickhouseMessage } from "../clickhouse/errors.js";

function importDatasources(manifest: DeploymentManifest) {
  return Object.values(manifest.datasources).filter((d) => d.file.import?.bucketUri);
}

/** Creates the import datasources' records of files seen in `database` (kept if they exist). */
export async function prepareImports(ch: ClickHouseClient, database: string, manifest: DeploymentManifest): Promise<void> {
  for (const ds of importDatasources(manifest)) {
    await ch.command({ query: importFilesTableSql(database, ds.table, importFilesTableFor(ds.name)) });
    await ch.command({ query: importDedupSettingSql(database, ds.table) });
    // NDJSON lines that do not fit land here, deduplicated as the rows are.
    await ch.command({ query: importDedupSettingSql(database, ds.quarantineTable) });
  }
}

/** `deploy --check`: every import's bucket listed as its runs will list it; an ERROR per bucket that cannot be. */
export async function checkImportBuckets(platform: Platform, workspaceId: string, manifest: DeploymentManifest): Promise<DeploymentFeedback[]> {
  const datasources = importDatasources(manifest);
  if (datasources.length === 0) return [];
  const secrets = { ...platform.config.secrets, ...(await platform.catalog.workspace(workspaceId).secretValues()) };
  const feedback: DeploymentFeedback[] = [];
  for (const ds of datasources) {
    const resource = `Datasource ${ds.name}.datasource`;
    const connection = manifest.connections[ds.file.import!.connectionName];
    if (!connection) continue; // the validator reported it
    const resolved = importSpec({
      datasource: ds.file, connection, database: manifest.database, table: ds.table, filesTable: importFilesTableFor(ds.name), secrets,
      endpoints: { s3: platform.config.sinks.s3Endpoint, gcs: platform.config.sinks.gcsEndpoint },
    });
    if (!resolved.ok) {
      feedback.push({ resource, level: "ERROR", message: `Datasource '${ds.name}': ${resolved.message}` });
      continue;
    }
    const { spec, uri } = resolved;
    const exec: ImportExecutor = {
      query: async (query) => (await platform.clickhouse.admin.query({ query, format: "TabSeparated" })).text(),
      command: async () => undefined, // listing only
    };
    try {
      // Listed as a run lists it (the glob, IMPORT_FROM_TIMESTAMP).
      const files = (await listImportFiles(exec, spec)).length;
      feedback.push({ resource, level: "INFO", message: `Datasource '${ds.name}': ${files} file${files === 1 ? "" : "s"} in ${uri.scheme === "gcs" ? "gs" : "s3"}://${uri.bucket}/${uri.pattern} now` });
    } catch (e) {
      const said = scrubSecrets(clickhouseMessage(e), [spec.accessKey, spec.secret]).replace(/^\[Error\]\s*/, "");
      const what = bucketAdvice(said, { bucket: uri.bucket, connection: connection.name, service: uri.scheme });
      feedback.push({ resource, level: "ERROR", message: `Datasource '${ds.name}' cannot read its bucket: ${what ?? said}${what ? `. The bucket said: ${said}` : ""}` });
    }
  }
  return feedback;
}
