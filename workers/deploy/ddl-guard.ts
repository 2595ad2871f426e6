/**
 * @module deploy/ddl-guard
 * Before a deployment creates anything, everything it will run with the
 * platform's rights is checked on ClickHouse's own parse:
 *
 * - each `CREATE TABLE` (`EXPLAIN AST` of the exact statement: it parses and
 *   creates nothing) against the shape Tern meant to write
 *   (`shared/sql/ddl/ddl-ast.ts`), plus the parts the dump does not print
 *   (TTL `SET` expressions, setting values) parsed as `SELECT …`;
 * - each materialized view's and forward's SELECT, and each query the
 *   deployment validates with `EXPLAIN` (which evaluates constants, so it can
 *   read a file), through the read guard users' queries pass
 *   (`guardRead`: one read statement, this workspace's database only,
 *   allowlisted functions).
 *
 * The offline check (`shared/datafiles/ddl-values.ts`, run by the parse) has
 * already refused `;`, comments and unbalanced quotes or brackets, so the text
 * sent to EXPLAIN is one statement. Parses are cached per isolate by text.
 * Problems come back as the deploy's `{filename, error}` with the file and
 * line of the directive, column or node.
 */
import { ClickHouseError, type ClickHouseClient } from "@clickhouse/client-web";
import { parseExplainAst, type ParseAstResult } from "../../shared/sql/ast/index.js";
import {
  checkCreateTableAst, checkDdlValue, checkExpressionsAst, type DdlPart, type StorageClause,
} from "../../shared/sql/ddl/index.js";
import { DatafileError, type DatasourceFile, type PipeFile, type SourcePosition } from "../../shared/datafiles/index.js";
import type { Plan, PlannedTable } from "../../shared/deploy/plan.js";
import type { Project, ProjectProblem } from "../../shared/deploy/project.js";
import { isTernError } from "../../shared/errors.js";
import { tokenize } from "../../shared/sql/rewrite/tokenize.js";
import { secretPlaceholders } from "./secret-placeholders.js";
import { guardRead } from "../clickhouse/read-guard.js";
import { clickhouseMessage, fromClickHouse } from "../clickhouse/errors.js";
import { isolateCache } from "../platform/caches.js";

/** Parse-only calls: nothing runs, nothing may write. */
const PARSE_SETTINGS = { readonly: "2", max_execution_time: 5, default_format: "TabSeparatedRaw" } as const;
const parses = isolateCache<ParseAstResult>("ddlParses");

/**
 * Text that is not one statement on ClickHouse's tokens never goes to the
 * engine, even as EXPLAIN: a server that runs several statements per request
 * would run the second one.
 */
export function notOneStatement(sql: string): string | undefined {
  const { tokens, error } = tokenize(sql);
  if (error) return `it does not tokenize as ClickHouse SQL (${error.message})`;
  return tokens.some((t) => t.kind === "punctuation" && t.text === ";") ? "`;` is not allowed: the SQL must be one statement" : undefined;
}

/** ClickHouse's parse of `sql`; a syntax error is an answer (cached like a tree), an unreachable server is thrown. */
export async function explainAst(ch: ClickHouseClient, sql: string): Promise<ParseAstResult> {
  const hit = parses.get(sql);
  if (hit) return hit;
  const refused = notOneStatement(sql);
  if (refused) return { ok: false, error: refused };
  let result: ParseAstResult;
  try {
    const rs = await ch.exec({ query: `EXPLAIN AST ${sql}`, clickhouse_settings: PARSE_SETTINGS });
    result = parseExplainAst(await new Response(rs.stream as ReadableStream<Uint8Array>).text());
  } catch (e) {
    if (!(e instanceof ClickHouseError)) throw fromClickHouse(e);
    result = { ok: false, error: `ClickHouse cannot parse it: ${clickhouseMessage(e)}` };
  }
  return parses.set(sql, result);
}

/**
 * Why `text`, pasted where SQL takes one expression (a delete condition), is
 * refused: first the offline check on ClickHouse's tokens, then ClickHouse's
 * own parse of `SELECT <text>`. Undefined when it is one expression over
 * `columns` with allowed functions only.
 */
export async function expressionRefusal(ch: ClickHouseClient, text: string, columns: ReadonlySet<string>): Promise<string | undefined> {
  const offline = checkDdlValue(text, "expression", { columns });
  if (!offline.ok) return offline.message;
  const parsed = await explainAst(ch, `SELECT ${text}`);
  if (!parsed.ok) return parsed.error;
  const verdict = checkExpressionsAst(parsed.root, { columns, count: 1 });
  return verdict.ok ? undefined : verdict.message;
}

/** Every problem with what `plan` would run; empty when it may go ahead. */
export async function guardPlan(ch: ClickHouseClient, plan: Plan, project: Project, database: string): Promise<ProjectProblem[]> {
  const problems: ProjectProblem[] = [];
  for (const t of plan.tables) {
    const ds = project.datasources.get(t.datasource);
    if (!ds) continue;
    const problem = await tableProblem(ch, t, ds);
    if (problem) problems.push(problem);
  }
  for (const v of plan.views) {
    const pipe = project.pipes.get(v.pipe);
    const node = pipe?.publication.type === "materialized" ? pipe.publication.node : undefined;
    const refused = await readRefusal(ch, v.query, database);
    if (refused && pipe) problems.push(atNode(pipe, node, `materialized view: ${refused}`));
  }
  for (const f of plan.forwards) {
    const ds = project.datasources.get(f.pipe);
    const refused = await readRefusal(ch, f.query, database);
    if (refused && ds) problems.push(at(ds.path, ds.valuePositions?.FORWARD_QUERY ?? start(ds.path), `FORWARD_QUERY: ${refused}`));
  }
  for (const v of plan.validations) {
    const pipe = project.pipes.get(v.pipe);
    const refused = await readRefusal(ch, v.sql, database);
    if (refused && pipe) problems.push(atNode(pipe, v.node, refused));
  }
  return problems;
}

async function tableProblem(ch: ClickHouseClient, t: PlannedTable, ds: DatasourceFile): Promise<ProjectProblem | undefined> {
  const parsed = await explainAst(ch, t.sql);
  if (!parsed.ok) return at(ds.path, engineAt(ds), `the table definition: ${parsed.error}`);
  const verdict = checkCreateTableAst(parsed.root, t.shape);
  if (!verdict.ok) {
    const { position, label } = locate(ds, t.kind, verdict.part);
    return at(ds.path, position, `${label}: ${verdict.message}`);
  }
  if (t.kind === "quarantine" || ds.engine.type === "Null" || ds.engine.type === "Join") return undefined;
  return hiddenProblem(ch, ds, t.shape.columns.map((c) => c.name));
}

/** TTL `SET` expressions and setting values: parts of the CREATE TABLE that `EXPLAIN AST` does not print. */
async function hiddenProblem(ch: ClickHouseClient, ds: DatasourceFile, columnNames: string[]): Promise<ProjectProblem | undefined> {
  if (ds.engine.type === "Null" || ds.engine.type === "Join") return undefined;
  const columns = new Set(columnNames);
  const parts: Array<{ keyword: string; text: string | undefined; kind: "ttl" | "settings" }> = [
    { keyword: "ENGINE_TTL", text: ds.engine.ttl, kind: "ttl" },
    { keyword: "ENGINE_SETTINGS", text: ds.engine.settings, kind: "settings" },
  ];
  for (const part of parts) {
    if (part.text === undefined) continue;
    const position = ds.valuePositions?.[part.keyword] ?? start(ds.path);
    const offline = checkDdlValue(part.text, part.kind, { columns });
    if (!offline.ok) return at(ds.path, position, `${part.keyword}: ${offline.message}`);
    if (offline.hidden.length === 0) continue;
    const parsed = await explainAst(ch, `SELECT ${offline.hidden.join(", ")}`);
    if (!parsed.ok) return at(ds.path, position, `${part.keyword}: ${parsed.error}`);
    const verdict = checkExpressionsAst(parsed.root, { columns, count: offline.hidden.length, literalsOnly: part.kind === "settings" });
    if (!verdict.ok) return at(ds.path, position, `${part.keyword}: ${verdict.message}`);
  }
  return undefined;
}

const CLAUSE_DIRECTIVES: Record<StorageClause, string> = {
  partition: "ENGINE_PARTITION_KEY", primary: "ENGINE_PRIMARY_KEY", order: "ENGINE_SORTING_KEY",
  sample: "ENGINE_SAMPLING_KEY", ttl: "ENGINE_TTL", settings: "ENGINE_SETTINGS",
};

/** The datafile position and the name to show for a part of a CREATE TABLE. */
function locate(ds: DatasourceFile, kind: PlannedTable["kind"], part: DdlPart): { position: SourcePosition; label: string } {
  const table = kind === "quarantine" ? "the quarantine table" : "the table definition";
  switch (part.kind) {
    case "column": {
      const column = ds.columns.find((c) => c.name === part.name);
      return { position: column ? { file: column.file, line: column.line, column: 1 } : start(ds.path), label: `column \`${part.name}\`` };
    }
    case "index": {
      const index = ds.indexes[part.index];
      return { position: index ? { file: index.file, line: index.line, column: 1 } : start(ds.path), label: `index \`${index?.name ?? part.index}\`` };
    }
    case "clause": {
      const keyword = CLAUSE_DIRECTIVES[part.clause];
      const position = ds.valuePositions?.[keyword];
      return position && kind === "datasource" ? { position, label: keyword } : { position: engineAt(ds), label: table };
    }
    case "engine": return { position: engineAt(ds), label: "ENGINE" };
    case "statement": return { position: engineAt(ds), label: table };
  }
}

function engineAt(ds: DatasourceFile): SourcePosition {
  return ds.valuePositions?.ENGINE ?? start(ds.path);
}

function start(file: string): SourcePosition {
  return { file, line: 1, column: 1 };
}

function at(filename: string, position: SourcePosition, message: string): ProjectProblem {
  return { filename, error: new DatafileError(position, message).message };
}

function atNode(pipe: PipeFile, nodeName: string | undefined, message: string): ProjectProblem {
  const node = pipe.nodes.find((n) => n.name === nodeName);
  const position = node ? { file: node.file, line: node.sqlLine, column: 1 } : start(pipe.path);
  return at(pipe.path, position, `node '${nodeName ?? "?"}': ${message}`);
}

/** What the read guard answers for SQL it refuses (anything else, a timeout or a busy server, is not a verdict). */
const REFUSALS = new Set([400, 403, 404]);

/** The read guard's refusal of `sql` as a message, or undefined when it passes; an unreachable ClickHouse is thrown. */
async function readRefusal(ch: ClickHouseClient, sql: string, database: string): Promise<string | undefined> {
  const refused = notOneStatement(sql);
  if (refused) return refused;
  try {
    await guardRead(ch, sql, database, secretPlaceholders(sql));
    return undefined;
  } catch (e) {
    if (isTernError(e) && REFUSALS.has(e.status)) return e.message;
    throw e;
  }
}
