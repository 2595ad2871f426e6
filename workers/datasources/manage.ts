/**
 * @module datasources/manage
 * `POST /v0/datasources/:name/truncate` and `…/delete` (rows matching a
 * `delete_condition`, as a job). Both need DATASOURCES:CREATE.
 */
import { z } from "zod";
import { BadRequestError, isTernError, invalidRequest } from "../../shared/errors.js";
import { quoteQualifiedName } from "../../shared/sql/ddl/index.js";
import { rewriteTables } from "../../shared/sql/rewrite/index.js";
import { ensureAllowed } from "../auth/require.js";
import type { Principal } from "../auth/principal.js";
import type { LiveDeployment } from "../catalog/client.js";
import { clickhouseMessage, fromClickHouse } from "../clickhouse/errors.js";
import { expressionRefusal } from "../deploy/ddl-guard.js";
import type { Platform } from "../platform/platform.js";
import { jobJson } from "./jobs.js";
import { logOps } from "../write/ops-log.js";
import { liveDatasource } from "../write/target.js";

/** Empties the datasource's table. */
export async function truncateDatasource(platform: Platform, principal: Principal, req: { live: LiveDeployment | undefined; name: string }) {
  const { name } = req;
  ensureAllowed(principal, { kind: "create_datasource" });
  const { manifest, ds } = liveDatasource(req.live, name);
  const started = platform.clock.now();
  try {
    await platform.clickhouse.admin.command({ query: `TRUNCATE TABLE ${quoteQualifiedName(manifest.database, ds.table)}` });
  } catch (e) {
    throw fromClickHouse(e);
  }
  logOps(platform, [{ workspaceId: principal.workspaceId, eventType: "truncate", datasource: name, result: "ok", elapsedSeconds: (platform.clock.now() - started) / 1000, requestId: platform.requestId, rows: 0, rowsQuarantine: 0 }]);
  return { result: "ok", datasource: { id: name, name } };
}

/**
 * Checks a condition that is pasted into SQL run with the platform's rights
 * (`delete_condition`, a replace's `replace_condition`): one boolean
 * expression over the datasource's columns (offline check, then ClickHouse's
 * own parse), and a probe over only this datasource that passes the read
 * guard. Answers the probe, `SELECT count() AS c FROM <table> WHERE (<condition>)`.
 */
export async function checkedCondition(
  platform: Platform,
  target: { manifest: LiveDeployment["manifest"]; ds: ReturnType<typeof liveDatasource>["ds"]; name: string },
  condition: string,
  param: string,
): Promise<string> {
  const { manifest, ds, name } = target;
  const refused = await expressionRefusal(platform.clickhouse.admin, condition, new Set(ds.file.columns.map((col) => col.name)));
  if (refused) throw new BadRequestError(`Invalid ${param}: ${refused}`);
  const probe = rewriteTables(`SELECT count() AS c FROM ${name} WHERE (${condition})`, (t, db) =>
    t === name && db === undefined ? { database: manifest.database, table: ds.table } : { error: `The ${param.replace("_condition", "")} condition may only refer to '${name}'` },
  );
  if (!probe.ok) throw new BadRequestError(`Invalid ${param}: ${probe.error.message}`);
  try {
    await platform.clickhouse.guard.check(probe.sql, manifest.database);
  } catch (e) {
    if (isTernError(e) && (e.status === 400 || e.status === 403)) throw new BadRequestError(`Invalid ${param}: ${e.message}`, { cause: e });
    throw e;
  }
  return probe.sql;
}

const DeleteForm = z.object({
  delete_condition: z.string({ error: "The 'delete_condition' parameter is required" }).trim().min(1, "The 'delete_condition' parameter is required"),
  dry_run: z.enum(["true", "false"]).optional(),
});

export interface DeleteRequest {
  live: LiveDeployment | undefined;
  name: string;
  /** Query string and form fields: `delete_condition`, `dry_run`. */
  form: Record<string, unknown>;
  /** The server's origin as the caller reached it (the job's URL). */
  origin: string;
}

/**
 * Deletes the rows matching `delete_condition` in a job (or counts them with
 * `dry_run=true`). The condition is pasted into `ALTER TABLE … DELETE WHERE`,
 * which runs with the platform's rights: it must be one boolean expression
 * over this datasource's columns (offline check, then ClickHouse's own parse),
 * and the probe that counts the rows reads only the datasource and passes the
 * read guard.
 */
export async function deleteRows(platform: Platform, principal: Principal, req: DeleteRequest) {
  const { name } = req;
  ensureAllowed(principal, { kind: "create_datasource" });
  const parsed = DeleteForm.safeParse(req.form);
  if (!parsed.success) throw invalidRequest(parsed.error);
  const { manifest, ds } = liveDatasource(req.live, name);
  const ch = platform.clickhouse.admin;
  const probe = { sql: await checkedCondition(platform, { manifest, ds, name }, parsed.data.delete_condition, "delete_condition") };
  if (parsed.data.dry_run === "true") {
    try {
      const rs = await ch.query({ query: probe.sql, format: "JSONEachRow", clickhouse_settings: { readonly: "1" } });
      const [row] = await rs.json<{ c: string | number }>();
      return { rows_to_be_deleted: Number(row?.c ?? 0) };
    } catch (e) {
      throw fromClickHouse(e);
    }
  }
  const catalog = platform.catalog.workspace(principal.workspaceId);
  const jobId = crypto.randomUUID();
  const job = await catalog.createJob({ id: jobId, kind: "delete_data", datasource: name, status: "working" });
  const run = async () => {
    const started = platform.clock.now();
    try {
      // The probe runs first: a condition ClickHouse cannot read never reaches the ALTER.
      const rs = await ch.query({ query: probe.sql, format: "JSONEachRow", clickhouse_settings: { readonly: "1" } });
      const [row] = await rs.json<{ c: string | number }>();
      await ch.command({
        query: `ALTER TABLE ${quoteQualifiedName(manifest.database, ds.table)} DELETE WHERE (${parsed.data.delete_condition})`,
        clickhouse_settings: { mutations_sync: "2" },
      });
      await catalog.updateJob(jobId, { status: "done", statistics: { rows_affected: Number(row?.c ?? 0) } });
      logOps(platform, [{ workspaceId: principal.workspaceId, eventType: "delete", datasource: name, result: "ok", elapsedSeconds: (platform.clock.now() - started) / 1000, jobId, rows: Number(row?.c ?? 0), rowsQuarantine: 0, options: { delete_condition: parsed.data.delete_condition } }]);
    } catch (e) {
      await catalog.updateJob(jobId, { status: "error", error: clickhouseMessage(e) });
    }
  };
  platform.waitUntil(run());
  const json = jobJson(job, req.origin);
  return { ...json, delete_id: jobId, job: json };
}
