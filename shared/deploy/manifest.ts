/**
 * @module deploy/manifest
 * A deployment's manifest: everything the hot paths need to serve a deployment,
 * resolved to physical ClickHouse names. Manifests are immutable once a
 * deployment is created, so caches may keep them forever.
 */
import type { DatasourceFile, PipeFile, ConnectionFile } from "../datafiles/ast.js";

export interface ManifestDatasource {
  name: string;
  /** Physical table in the workspace database. */
  table: string;
  /** Hash of the table's definition and of the views feeding it. */
  identity: string;
  quarantineTable: string;
  quarantineIdentity: string;
  file: DatasourceFile;
}

export interface ManifestPipe {
  name: string;
  file: PipeFile;
  /** Materialized views this deployment owns for the pipe (physical names). */
  materializedView?: string;
}

export interface ManifestToken {
  name: string;
  /** Scope strings, e.g. `DATASOURCES:APPEND:events`. */
  scopes: string[];
}

/** A materialized view in ClickHouse: a pipe's, or a forward from a live table while staging. */
export interface ManifestView {
  name: string;
  sources: string[];
  target: string;
}

export interface DeploymentManifest {
  /** ClickHouse database of the workspace. */
  database: string;
  datasources: Record<string, ManifestDatasource>;
  pipes: Record<string, ManifestPipe>;
  connections: Record<string, ConnectionFile>;
  /** Tokens declared with TOKEN lines across the project's files. */
  tokens: ManifestToken[];
  /** Every ClickHouse object this deployment reads or writes (shared ones included). */
  objects: { tables: string[]; views: ManifestView[] };
  /** The uploaded files by name, for `no_changes` detection and `tern pull`. */
  files: Record<string, string>;
}

export type DeploymentStatus =
  | "calculating"
  | "creating_schema"
  | "schema_ready"
  | "data_ready"
  | "failed"
  | "deleting"
  | "deleted";

export interface DeploymentFeedback {
  resource: string | null;
  level: "ERROR" | "WARNING" | "INFO";
  message: string;
}

export interface DeploymentChanges {
  new_datasource_names: string[];
  changed_datasource_names: string[];
  deleted_datasource_names: string[];
  new_pipe_names: string[];
  changed_pipe_names: string[];
  deleted_pipe_names: string[];
  new_data_connector_names: string[];
  changed_data_connector_names: string[];
  deleted_data_connector_names: string[];
}

/** What `/v1/deployments` says about one deployment. */
export interface DeploymentSummary extends DeploymentChanges {
  id: string;
  status: DeploymentStatus;
  live: boolean;
  created_at: string;
  updated_at: string;
  feedback: DeploymentFeedback[];
}
