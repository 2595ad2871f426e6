/**
 * @module sinks/sink-sql
 * What a sink run reads: the sink pipe of the live deployment, its connection,
 * and its SELECT, rendered with the run's params (the request's for on-demand
 * runs, defaults for scheduled ones; `job_timestamp` always) and compiled into
 * one query over the workspace's own tables, as an endpoint compiles it. The
 * SQL is the user's and runs with Tern's admin rights, so it passes the read
 * guard first (docs/security.md); Tern wraps it (`s3()`, counts, a file's
 * rows) only after, and never takes a table function from user text.
 */
import type { BucketSinkPublication, ConnectionFile } from "../../shared/datafiles/index.js";
import { BadRequestError, NotFoundError } from "../../shared/errors.js";
import type { LiveDeployment } from "../catalog/client.js";
import { compileJobPipe } from "../jobs/pipe-sql.js";
import type { Platform } from "../platform/platform.js";

export interface SinkQuery {
  /** The sink node's SELECT: qualified names, guarded. */
  sql: string;
  /** ClickHouse settings the templates asked for (`max_threads`). */
  settings: Record<string, number | string>;
  /** `tb_secret()` values the SQL reads (jobs/pipe-sql.ts): bound with every statement that runs it. */
  queryParams?: Record<string, string>;
  /** Those values, masked in the run's error. */
  secretValues: string[];
  database: string;
  publication: BucketSinkPublication;
  connection: ConnectionFile;
}

/** `job_timestamp` as templates read it: a DateTime literal in UTC. */
export function jobTimestampParam(iso: string): string {
  return iso.replace("T", " ").replace(/\.\d+Z?$|Z$/, "");
}

/** The Kafka sink `name` of the live deployment and its connection, or undefined when `name` is not a Kafka sink. */
export function kafkaSinkPipe(live: LiveDeployment | undefined, name: string) {
  const pipe = live?.manifest.pipes[name];
  if (!live || !pipe || pipe.file.publication.type !== "sink" || pipe.file.publication.target !== "kafka") return undefined;
  const publication = pipe.file.publication;
  const connection = live.manifest.connections[publication.connectionName];
  if (!connection) {
    throw new BadRequestError(
      `The sink pipe '${name}' uses connection '${publication.connectionName}', which the live deployment does not have: add connections/${publication.connectionName}.connection and deploy`,
    );
  }
  return { live, pipe, publication, connection };
}

/** The bucket sink `name` of the live deployment and its connection (404 / 400 with what to do). */
export function sinkPipe(live: LiveDeployment | undefined, name: string) {
  const pipe = live?.manifest.pipes[name];
  if (!live || !pipe || pipe.file.publication.type !== "sink") throw new NotFoundError(`The sink pipe '${name}' does not exist in the live deployment`);
  const publication = pipe.file.publication;
  if (publication.target === "kafka") throw new BadRequestError(`The sink pipe '${name}' writes to Kafka topic '${publication.topic}', not to a bucket`);
  const connection = live.manifest.connections[publication.connectionName];
  if (!connection) {
    throw new BadRequestError(
      `The sink pipe '${name}' uses connection '${publication.connectionName}', which the live deployment does not have: add connections/${publication.connectionName}.connection and deploy`,
    );
  }
  return { live, pipe, publication, connection };
}

export async function sinkQuery(
  platform: Platform,
  workspaceId: string,
  live: LiveDeployment | undefined,
  name: string,
  params: Record<string, string>,
): Promise<SinkQuery> {
  const { pipe, publication, connection } = sinkPipe(live, name);
  const compiled = await compileJobPipe(platform, workspaceId, live!, pipe, publication.node, params);
  return { sql: compiled.sql, settings: compiled.settings, ...(compiled.queryParams ? { queryParams: compiled.queryParams } : {}), secretValues: compiled.secretValues, database: compiled.database, publication, connection };
}
