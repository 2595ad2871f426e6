/**
 * @module datasources/routes
 * The Data Sources API: list and describe, truncate, delete rows (a job), and
 * append/replace from a file or URL (see append.ts).
 */
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../api/context.js";
import { ensureAllowed, requireAuth } from "../auth/require.js";
import { catalogStub } from "../auth/principal.js";
import { clickhouseFor } from "../clickhouse/client.js";
import { fromClickHouse, clickhouseMessage } from "../clickhouse/errors.js";
import { BadRequestError, isTernError } from "../../shared/errors.js";
import { authorize } from "../../shared/tokens/scopes.js";
import { quoteQualifiedName } from "../../shared/sql/ddl/index.js";
import { rewriteTables } from "../../shared/sql/rewrite/index.js";
import { liveManifest } from "../catalog/live-manifest.js";
import { liveDatasource } from "./resolve.js";
import { describeDatasource } from "./describe.js";
import { jobJson } from "./jobs.js";
import { logOps } from "../ingest/ops-log.js";
import { appendOrReplace } from "./append.js";
import { guardRead } from "../clickhouse/read-guard.js";
import { expressionRefusal } from "../deploy/ddl-guard.js";

export const datasourceRoutes = new Hono<AppEnv>();

async function tableStats(c: Context<AppEnv>, database: string, tables: string[]): Promise<Map<string, { rows: number; bytes: number }>> {
  const out = new Map<string, { rows: number; bytes: number }>();
  if (tables.length === 0) return out;
  const rs = await clickhouseFor(c.get("config")).query({
    query: `SELECT name, total_rows, total_bytes FROM system.tables WHERE database = {db:String} AND name IN {names:Array(String)}`,
    query_params: { db: database, names: tables },
    format: "JSONEachRow",
  });
  for (const r of await rs.json<{ name: string; total_rows: string | number | null; total_bytes: string | number | null }>()) {
    out.set(r.name, { rows: Number(r.total_rows ?? 0), bytes: Number(r.total_bytes ?? 0) });
  }
  return out;
}

datasourceRoutes.get("/v0/datasources", requireAuth(), async (c) => {
  const principal = c.get("principal");
  const live = await liveManifest(c.env, principal.workspaceId);
  const visible = Object.values(live?.manifest.datasources ?? {}).filter(
    (ds) => authorize(principal.scopes, { kind: "read_datasource", datasource: ds.name }).allowed ||
      authorize(principal.scopes, { kind: "append", datasource: ds.name }).allowed,
  );
  const stats = live ? await tableStats(c, live.manifest.database, visible.map((d) => d.table)) : new Map();
  return c.json({ datasources: visible.map((ds) => describeDatasource(ds, stats.get(ds.table))) });
});

datasourceRoutes.get("/v0/datasources/:name", requireAuth(), async (c) => {
  const name = c.req.param("name").replace(/\.datasource$/, "");
  const { manifest, ds } = await liveDatasource(c.env, c.get("principal").workspaceId, name);
  if (!authorize(c.get("principal").scopes, { kind: "append", datasource: name }).allowed) {
    ensureAllowed(c, { kind: "read_datasource", datasource: name });
  }
  if (c.req.param("name").endsWith(".datasource") || c.req.query("format") === "datasource") {
    const base = ds.file.path.split(/[\\/]/).pop()!;
    return c.text(manifest.files[base] ?? "", 200, { "content-type": "text/plain; charset=utf-8" });
  }
  const stats = await tableStats(c, manifest.database, [ds.table]);
  return c.json(describeDatasource(ds, stats.get(ds.table)));
});

datasourceRoutes.post("/v0/datasources", requireAuth(), appendOrReplace);

datasourceRoutes.post("/v0/datasources/:name/truncate", requireAuth(), async (c) => {
  const name = c.req.param("name");
  ensureAllowed(c, { kind: "create_datasource" });
  const { manifest, ds } = await liveDatasource(c.env, c.get("principal").workspaceId, name);
  const started = Date.now();
  const ch = clickhouseFor(c.get("config"));
  try {
    await ch.command({ query: `TRUNCATE TABLE ${quoteQualifiedName(manifest.database, ds.table)}` });
  } catch (e) {
    throw fromClickHouse(e);
  }
  logOps(ch, c.executionCtx, [{ workspaceId: c.get("principal").workspaceId, eventType: "truncate", datasource: name, result: "ok", elapsedSeconds: (Date.now() - started) / 1000, requestId: c.get("requestId"), rows: 0, rowsQuarantine: 0 }]);
  return c.json({ result: "ok", datasource: { id: name, name } });
});

const DeleteForm = z.object({
  delete_condition: z.string({ error: "The 'delete_condition' parameter is required" }).trim().min(1, "The 'delete_condition' parameter is required"),
  dry_run: z.enum(["true", "false"]).optional(),
});

datasourceRoutes.post("/v0/datasources/:name/delete", requireAuth(), async (c) => {
  const name = c.req.param("name");
  ensureAllowed(c, { kind: "create_datasource" });
  const body = await c.req.parseBody().catch(() => ({}));
  const parsed = DeleteForm.safeParse({ ...c.req.query(), ...body });
  if (!parsed.success) throw new BadRequestError(parsed.error.issues[0]!.message);
  const principal = c.get("principal");
  const { manifest, ds } = await liveDatasource(c.env, principal.workspaceId, name);
  const ch = clickhouseFor(c.get("config"));
  // The condition is pasted into ALTER TABLE … DELETE WHERE, which runs with
  // the platform's rights: it must be one boolean expression over this
  // datasource's columns (offline check, then ClickHouse's own parse).
  const refused = await expressionRefusal(ch, parsed.data.delete_condition, new Set(ds.file.columns.map((col) => col.name)));
  if (refused) throw new BadRequestError(`Invalid delete_condition: ${refused}`);
  // The probe that counts the rows reads only the datasource itself, and passes the read guard.
  const probe = rewriteTables(`SELECT count() AS c FROM ${name} WHERE (${parsed.data.delete_condition})`, (t, db) =>
    t === name && db === undefined ? { database: manifest.database, table: ds.table } : { error: `The delete condition may only refer to '${name}'` },
  );
  if (!probe.ok) throw new BadRequestError(`Invalid delete_condition: ${probe.error.message}`);
  try {
    await guardRead(ch, probe.sql, manifest.database);
  } catch (e) {
    if (isTernError(e) && (e.status === 400 || e.status === 403)) throw new BadRequestError(`Invalid delete_condition: ${e.message}`);
    throw e;
  }
  if (parsed.data.dry_run === "true") {
    try {
      const rs = await ch.query({ query: probe.sql, format: "JSONEachRow", clickhouse_settings: { readonly: "1" } });
      const [row] = await rs.json<{ c: string | number }>();
      return c.json({ rows_to_be_deleted: Number(row?.c ?? 0) });
    } catch (e) {
      throw fromClickHouse(e);
    }
  }
  const catalog = catalogStub(c.env, principal.workspaceId);
  const jobId = crypto.randomUUID();
  const job = await catalog.createJob({ id: jobId, kind: "delete_data", datasource: name, status: "working" });
  const run = async () => {
    const started = Date.now();
    try {
      // The probe runs first: a condition ClickHouse cannot read never reaches the ALTER.
      const rs = await ch.query({ query: probe.sql, format: "JSONEachRow", clickhouse_settings: { readonly: "1" } });
      const [row] = await rs.json<{ c: string | number }>();
      await ch.command({
        query: `ALTER TABLE ${quoteQualifiedName(manifest.database, ds.table)} DELETE WHERE (${parsed.data.delete_condition})`,
        clickhouse_settings: { mutations_sync: "2" },
      });
      await catalog.updateJob(jobId, { status: "done", statistics: { rows_affected: Number(row?.c ?? 0) } });
      logOps(ch, c.executionCtx, [{ workspaceId: principal.workspaceId, eventType: "delete", datasource: name, result: "ok", elapsedSeconds: (Date.now() - started) / 1000, jobId, rows: Number(row?.c ?? 0), rowsQuarantine: 0, options: { delete_condition: parsed.data.delete_condition } }]);
    } catch (e) {
      await catalog.updateJob(jobId, { status: "error", error: clickhouseMessage(e) });
    }
  };
  c.executionCtx.waitUntil(run());
  const json = jobJson(job, new URL(c.req.url).origin);
  return c.json({ ...json, delete_id: jobId, job: json });
});


