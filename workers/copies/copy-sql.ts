/**
 * @module copies/copy-sql
 * The SELECT a copy run hands ClickHouse: the copy pipe of the live
 * deployment, its nodes rendered with the run's params (request params for
 * on-demand runs, defaults for scheduled ones; `job_timestamp` always) and
 * compiled into one query over the workspace's own tables, exactly as an
 * endpoint compiles. The SQL is the user's and runs with Tern's admin rights,
 * so it must pass the read guard first (docs/security.md): one read, confined
 * to the workspace's database, allowlisted functions only.
 */
import type { ManifestDatasource } from "../../shared/deploy/manifest.js";
import type { CopyPublication } from "../../shared/datafiles/index.js";
import { NotFoundError } from "../../shared/errors.js";
import type { LiveDeployment } from "../catalog/client.js";
import { compileJobPipe } from "../jobs/pipe-sql.js";
import type { Platform } from "../platform/platform.js";

export interface CopyQuery {
  /** The copy's SELECT (qualified names, guarded). */
  sql: string;
  /** ClickHouse settings the templates asked for (`max_threads`). */
  settings: Record<string, number | string>;
  /** `tb_secret()` values the SQL reads (jobs/pipe-sql.ts): bound with every statement that runs it. */
  queryParams?: Record<string, string>;
  /** Those values, masked in the run's error. */
  secretValues: string[];
  database: string;
  publication: CopyPublication;
  target: ManifestDatasource;
}

/** `job_timestamp` as templates read it: a DateTime literal in UTC. */
export function jobTimestampParam(iso: string): string {
  return iso.replace("T", " ").replace(/\.\d+Z?$|Z$/, "");
}

/** The copy pipe `name` of the live deployment (404 when there is none). */
export function copyPipe(live: LiveDeployment | undefined, name: string) {
  const pipe = live?.manifest.pipes[name];
  if (!live || !pipe || pipe.file.publication.type !== "copy") throw new NotFoundError(`The copy pipe '${name}' does not exist in the live deployment`);
  const publication = pipe.file.publication;
  const target = live.manifest.datasources[publication.targetDatasource];
  if (!target) throw new NotFoundError(`The copy pipe '${name}' targets datasource '${publication.targetDatasource}', which the live deployment does not have`);
  return { live, pipe, publication, target };
}

export async function copyQuery(
  platform: Platform,
  workspaceId: string,
  live: LiveDeployment | undefined,
  name: string,
  params: Record<string, string>,
): Promise<CopyQuery> {
  const { pipe, publication, target } = copyPipe(live, name);
  const compiled = await compileJobPipe(platform, workspaceId, live!, pipe, publication.node, params);
  return { sql: compiled.sql, settings: compiled.settings, ...(compiled.queryParams ? { queryParams: compiled.queryParams } : {}), secretValues: compiled.secretValues, database: compiled.database, publication, target };
}
