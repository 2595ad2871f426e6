/**
 * @module deploy/apply
 * Executes a deployment plan against ClickHouse, in the order that keeps live
 * data whole: tables, validation of every served query, materialized views and
 * forwards (so live writes reach the new tables from here on), then backfills
 * of exactly the parts that existed before (merges paused meanwhile, so part
 * names stay stable). On any failure the deployment's own objects are dropped
 * and live is untouched.
 */
import type { ClickHouseClient } from "@clickhouse/client-web";
import type { Plan } from "../../shared/deploy/plan.js";
import type { DeploymentFeedback, DeploymentManifest } from "../../shared/deploy/manifest.js";
import { quoteIdentifier, quoteQualifiedName } from "../../shared/sql/ddl/index.js";
import { copyColumns, type TargetColumn } from "../../shared/deploy/copy-columns.js";
import { clickhouseMessage } from "../clickhouse/errors.js";
import { guardRead } from "../clickhouse/read-guard.js";
import { ensureWorkspaceServiceViews } from "../service/workspace-views.js";
import { prepareImports } from "./s3-imports.js";
import { secretPlaceholderSettings } from "./secret-placeholders.js";

export class DeploymentFailed extends Error {
  constructor(readonly feedback: DeploymentFeedback[]) {
    super(feedback.map((f) => f.message).join("\n"));
  }
}

function sqlString(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

async function command(ch: ClickHouseClient, query: string): Promise<void> {
  await ch.command({ query });
}

async function rows<T>(ch: ClickHouseClient, query: string, settings: Record<string, string> = {}): Promise<T[]> {
  const rs = await ch.query({ query, format: "JSONEachRow", clickhouse_settings: settings });
  return rs.json<T>();
}

/** Checks destructive changes against real data: dropping an empty table or column is fine. */
export async function destructiveProblems(ch: ClickHouseClient, plan: Plan, database: string): Promise<DeploymentFeedback[]> {
  const problems: DeploymentFeedback[] = [];
  for (const d of plan.destructive) {
    const [row] = await rows<{ c: string | number }>(ch, `SELECT count() AS c FROM ${quoteQualifiedName(database, d.table)}`);
    if (Number(row?.c ?? 0) > 0) {
      problems.push({
        resource: `Datasource ${d.datasource}.datasource`,
        level: "ERROR",
        message: `${d.message}; deploy with allow_destructive_operations=true (tern deploy --allow-destructive-operations) to allow it`,
      });
    }
  }
  return problems;
}

/** Runs `EXPLAIN` on every query the deployment serves, reporting ClickHouse's error per node. */
async function validate(ch: ClickHouseClient, plan: Plan): Promise<DeploymentFeedback[]> {
  const problems: DeploymentFeedback[] = [];
  for (const v of plan.validations) {
    try {
      await ch.query({ query: `EXPLAIN ${v.sql}`, format: "TabSeparated", clickhouse_settings: secretPlaceholderSettings(v.sql) }).then((rs) => rs.text());
      const mismatch = await copyTargetMismatch(ch, plan, v.pipe, v.sql);
      if (mismatch) problems.push({ resource: `Pipe ${v.pipe}.pipe`, level: "ERROR", message: mismatch });
    } catch (e) {
      problems.push({ resource: `Pipe ${v.pipe}.pipe`, level: "ERROR", message: `Pipe '${v.pipe}', node '${v.node}': ${clickhouseMessage(e)}` });
    }
  }
  return problems;
}

/** A copy pipe whose result's columns do not match its target datasource's (by name, as the copy writes them). */
async function copyTargetMismatch(ch: ClickHouseClient, plan: Plan, pipe: string, sql: string): Promise<string | undefined> {
  const publication = plan.manifest.pipes[pipe]?.file.publication;
  if (publication?.type !== "copy") return undefined;
  const target = plan.manifest.datasources[publication.targetDatasource];
  if (!target) return undefined;
  // A copy node reading tb_secret(): described with the empty placeholders its EXPLAIN gets.
  const produced = await rows<{ name: string }>(ch, `DESCRIBE TABLE (${sql})`, secretPlaceholderSettings(sql));
  const columns = await rows<TargetColumn>(ch, `DESCRIBE TABLE ${quoteQualifiedName(plan.manifest.database, target.table)}`);
  const match = copyColumns(produced.map((c) => c.name), columns, { pipe, datasource: publication.targetDatasource });
  return match.ok ? undefined : match.message;
}

async function activeParts(ch: ClickHouseClient, database: string, table: string): Promise<string[]> {
  const list = await rows<{ name: string }>(
    ch,
    `SELECT name FROM system.parts WHERE database = ${sqlString(database)} AND table = ${sqlString(table)} AND active`,
  );
  return list.map((r) => r.name);
}

async function backfill(ch: ClickHouseClient, database: string, plan: Plan, parts: Map<string, string[]>): Promise<void> {
  for (const b of plan.backfills) {
    const select = b.select((table) => {
      const p = parts.get(table);
      const where = p === undefined ? "" : p.length === 0 ? " WHERE 0" : ` WHERE _part IN (${p.map(sqlString).join(", ")})`;
      return `SELECT * FROM ${quoteQualifiedName(database, table)}${where}`;
    });
    // The views' SQL passed the guard before anything was built; this is the same SQL over the snapshot.
    await guardRead(ch, select, database);
    // INSERT … SELECT matches by position; views match by name. Match by name.
    const produced = await rows<{ name: string }>(ch, `DESCRIBE TABLE (${select})`);
    const targetCols = new Set(
      (await rows<{ name: string; default_type: string }>(ch, `DESCRIBE TABLE ${quoteQualifiedName(database, b.target)}`))
        .filter((c) => c.default_type !== "MATERIALIZED" && c.default_type !== "ALIAS")
        .map((c) => c.name),
    );
    const cols = produced.map((c) => c.name).filter((n) => targetCols.has(n));
    if (cols.length === 0) continue;
    const list = cols.map(quoteIdentifier).join(", ");
    await command(ch, `INSERT INTO ${quoteQualifiedName(database, b.target)} (${list}) SELECT ${list} FROM (${select})`);
  }
}

/** Drops views, then tables; ignores what is already gone. */
export async function dropObjects(ch: ClickHouseClient, database: string, views: string[], tables: string[]): Promise<void> {
  for (const v of views) await command(ch, `DROP VIEW IF EXISTS ${quoteQualifiedName(database, v)}`).catch(() => undefined);
  for (const t of tables) await command(ch, `DROP TABLE IF EXISTS ${quoteQualifiedName(database, t)}`).catch(() => undefined);
}

export async function applyPlan(
  ch: ClickHouseClient,
  plan: Plan,
  opts: { database: string; allowDestructive: boolean; workspaceId: string },
): Promise<{ feedback: DeploymentFeedback[] }> {
  const { database } = opts;
  const feedback: DeploymentFeedback[] = [];
  await command(ch, `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)}`);
  // Queries reading tinybird.* are validated against the workspace's own service views.
  if (plan.usesServiceViews) await ensureWorkspaceServiceViews(ch, opts.workspaceId, database);

  if (!opts.allowDestructive) {
    const problems = await destructiveProblems(ch, plan, database);
    if (problems.length > 0) throw new DeploymentFailed(problems);
  } else {
    for (const d of plan.destructive) feedback.push({ resource: `Datasource ${d.datasource}.datasource`, level: "WARNING", message: d.message });
  }

  const created: { views: string[]; tables: string[] } = { views: [], tables: [] };
  const paused: string[] = [];
  try {
    for (const t of plan.tables) {
      try {
        await command(ch, t.sql);
        created.tables.push(t.table);
      } catch (e) {
        throw new DeploymentFailed([{ resource: `Datasource ${t.datasource}.datasource`, level: "ERROR", message: `Datasource '${t.datasource}': ${clickhouseMessage(e)}` }]);
      }
    }
    // Outside `created`: an import's record of files seen outlives a failed deployment (./s3-imports.ts).
    await prepareImports(ch, database, plan.manifest);
    const invalid = await validate(ch, plan);
    if (invalid.length > 0) throw new DeploymentFailed(invalid);

    const liveSources = [...new Set(plan.backfills.flatMap((b) => b.sources))];
    for (const s of liveSources) {
      await command(ch, `SYSTEM STOP MERGES ${quoteQualifiedName(database, s)}`);
      paused.push(s);
    }
    for (const v of [...plan.views, ...plan.forwards]) {
      try {
        await command(ch, v.sql);
        created.views.push(v.name);
      } catch (e) {
        throw new DeploymentFailed([{ resource: `Pipe ${v.pipe}.pipe`, level: "ERROR", message: `Materialized view of '${v.pipe}': ${clickhouseMessage(e)}` }]);
      }
    }
    // Taken after the views exist: a write racing the snapshot may be counted
    // twice in the new tables, but none can be missed.
    const parts = new Map<string, string[]>();
    for (const s of liveSources) parts.set(s, await activeParts(ch, database, s));
    try {
      await backfill(ch, database, plan, parts);
    } catch (e) {
      throw new DeploymentFailed([{ resource: null, level: "ERROR", message: `Backfill failed: ${clickhouseMessage(e)}` }]);
    }
    return { feedback };
  } catch (e) {
    await dropObjects(ch, database, created.views.reverse(), created.tables.reverse());
    throw e;
  } finally {
    for (const s of paused) await command(ch, `SYSTEM START MERGES ${quoteQualifiedName(database, s)}`).catch(() => undefined);
  }
}

/**
 * What deleting deployment `manifest` may drop: its objects that no other
 * active deployment uses, plus any view (of anyone) reading or writing them.
 */
export function objectsToDrop(
  manifest: DeploymentManifest,
  others: DeploymentManifest[],
): { views: string[]; tables: string[] } {
  const keepTables = new Set(others.flatMap((m) => m.objects.tables));
  const tables = manifest.objects.tables.filter((t) => !keepTables.has(t));
  const dropped = new Set(tables);
  const keepViews = new Set(others.flatMap((m) => m.objects.views.map((v) => v.name)));
  const views = new Set<string>();
  for (const v of manifest.objects.views) if (!keepViews.has(v.name)) views.add(v.name);
  for (const m of [manifest, ...others]) {
    for (const v of m.objects.views) if (dropped.has(v.target) || v.sources.some((s) => dropped.has(s))) views.add(v.name);
  }
  return { views: [...views], tables };
}
