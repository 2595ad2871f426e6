/**
 * @module check-project
 * `tern check` without I/O: parses every datafile, checks the references
 * between them (materialized/copy targets, connections, unique names), renders
 * every pipe node as a deployment would (check mode: defaults, and type-correct
 * samples for required params; materialized pipes with defaults only) and
 * compiles each node's chain with the project's datasources and pipes (a pipe
 * may read another pipe, as in Tinybird). Every problem
 * comes back with its file and line.
 */
import { posix } from "node:path";
import { parseDatafile, type ConnectionFile, type Datafile, type DatasourceFile, type PipeFile } from "../shared/datafiles/index.js";
import { compileTemplate, render } from "../shared/template/index.js";
import { compilePipe } from "../shared/sql/pipeline/index.js";
import type { TableResolver } from "../shared/sql/rewrite/rewrite-tables.js";
import type { ProjectFile, ProjectFileKind } from "./project-files.js";

export interface CheckProblem {
  line: number;
  column: number;
  message: string;
  /** Set when the problem is in another file than the one checked (an INCLUDEd fragment). */
  file?: string;
}

export interface FileCheck {
  file: string;
  kind: Exclude<ProjectFileKind, "incl">;
  ok: boolean;
  errors: CheckProblem[];
  warnings: CheckProblem[];
}

interface Parsed {
  result: FileCheck;
  text: string;
  file: Datafile;
}

const base = (path: string) => path.split("/").pop() ?? path;

function includeResolver(files: readonly ProjectFile[], from: string) {
  const byPath = new Map<string, string>();
  const byName = new Map<string, string>();
  for (const f of files) {
    byPath.set(f.path, f.text);
    byName.set(base(f.path), f.text);
  }
  return (path: string) =>
    byPath.get(posix.normalize(posix.join(posix.dirname(from), path))) ?? byPath.get(posix.normalize(path).replace(/^\.\//, "")) ?? byName.get(base(path));
}

/** 1-based line of the first line of `text` matching `pattern`, or 1. */
function lineOf(text: string, pattern: RegExp): number {
  const i = text.split("\n").findIndex((l) => pattern.test(l));
  return i < 0 ? 1 : i + 1;
}

function problem(result: FileCheck, line: number, message: string, column = 1): void {
  if (!result.errors.some((e) => e.line === line && e.message === message)) result.errors.push({ line, column, message });
}

export function checkProject(files: readonly ProjectFile[]): FileCheck[] {
  const results: FileCheck[] = [];
  const parsed: Parsed[] = [];

  for (const f of files) {
    if (f.kind === "incl") continue;
    const result: FileCheck = { file: f.path, kind: f.kind, ok: true, errors: [], warnings: [] };
    results.push(result);
    const out = parseDatafile({ path: f.path, text: f.text, include: includeResolver(files, f.path) });
    if (!out.ok) {
      for (const e of out.errors) {
        result.errors.push({ line: e.line, column: e.column, message: e.detail, ...(e.file !== f.path ? { file: e.file } : {}) });
      }
      continue;
    }
    for (const w of out.file.warnings) {
      result.warnings.push({ line: w.line, column: w.column, message: w.message, ...(w.file !== f.path ? { file: w.file } : {}) });
    }
    parsed.push({ result, text: f.text, file: out.file });
  }

  // Each kind has its own names: a copy pipe may share its target datasource's
  // name (the fixture projects do), and `FROM name` then reads the datasource.
  const datasources = new Map<string, DatasourceFile>();
  const pipes = new Map<string, PipeFile>();
  const connections = new Map<string, ConnectionFile>();
  const owner = new Map<string, string>();
  const live: Parsed[] = [];
  for (const p of parsed) {
    const key = `${p.file.kind}:${p.file.name}`;
    const clash = owner.get(key);
    if (clash) {
      problem(p.result, 1, `the name '${p.file.name}' is already used by ${clash}`);
      continue;
    }
    owner.set(key, p.file.path);
    live.push(p);
    if (p.file.kind === "datasource") datasources.set(p.file.name, p.file);
    else if (p.file.kind === "pipe") pipes.set(p.file.name, p.file);
    else connections.set(p.file.name, p.file);
  }

  for (const p of live) {
    if (p.file.kind === "datasource") {
      const ds = p.file;
      if (ds.kafka && !connections.has(ds.kafka.connectionName)) {
        problem(p.result, lineOf(p.text, /^\s*KAFKA_CONNECTION_NAME\b/), `connection '${ds.kafka.connectionName}' is not in the project`);
      }
      if (ds.import && !connections.has(ds.import.connectionName)) {
        problem(p.result, lineOf(p.text, /^\s*IMPORT_CONNECTION_NAME\b/), `connection '${ds.import.connectionName}' is not in the project`);
      }
    } else if (p.file.kind === "pipe") {
      checkPipe(p, p.file, datasources, pipes, connections);
    }
  }

  for (const r of results) r.ok = r.errors.length === 0;
  return results;
}

function checkPipe(
  p: Parsed,
  pipe: PipeFile,
  datasources: Map<string, DatasourceFile>,
  pipes: Map<string, PipeFile>,
  connections: Map<string, ConnectionFile>,
): void {
  const pub = pipe.publication;
  if (pub.type === "materialized" && !datasources.has(pub.datasource)) {
    problem(p.result, lineOf(p.text, /^\s*DATASOURCE\b/), `materialized node '${pub.node}' writes to datasource '${pub.datasource}', which is not in the project`);
  }
  if (pub.type === "copy" && !datasources.has(pub.targetDatasource)) {
    problem(p.result, lineOf(p.text, /^\s*TARGET_DATASOURCE\b/), `copy node '${pub.node}' targets datasource '${pub.targetDatasource}', which is not in the project`);
  }
  if (pub.type === "sink" && !connections.has(pub.connectionName)) {
    problem(p.result, lineOf(p.text, /^\s*EXPORT_CONNECTION_NAME\b/), `sink node '${pub.node}' uses connection '${pub.connectionName}', which is not in the project`);
  }
  if (pub.type !== "standard" && !pipe.nodes.some((n) => n.name === pub.node)) {
    problem(p.result, 1, `${pub.type} node '${pub.node}' is not a node of this pipe`);
  }

  // Materialized views run without request params: defaults only, like the deploy.
  const mode = pub.type === "materialized" ? "normal" : "check";
  const rendered: Array<{ name: string; sql: string }> = [];
  const failed = new Set<string>();
  for (const node of pipe.nodes) {
    if (!node.templated) {
      rendered.push({ name: node.name, sql: node.sql });
      continue;
    }
    try {
      rendered.push({ name: node.name, sql: render(compileTemplate(node.sql), {}, { mode }).sql });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      // Tornado-style errors name the template line (`at <string>:2`); the node's `%` line is line 1.
      const at = /at <string>:(\d+)/.exec(message);
      problem(p.result, node.sqlLine + (at ? Number(at[1]) - 1 : 0), `node '${node.name}': ${message}`);
      failed.add(node.name);
      // A stand-in keeps the other nodes' chains checkable.
      rendered.push({ name: node.name, sql: "SELECT 1" });
    }
  }

  const resolver: TableResolver = (table, db) => {
    if (db !== undefined) {
      return db === "tinybird" && mode === "check" ? { database: db, table } : { error: `Resource '${db}.${table}' not found` };
    }
    // Another pipe reads as a table too (its result), as in Tinybird.
    return datasources.has(table) || (pipes.has(table) && table !== pipe.name) ? { database: "db", table } : { error: `Resource '${table}' not found` };
  };
  for (const node of pipe.nodes) {
    if (failed.has(node.name)) continue;
    const compiled = compilePipe(rendered, node.name, resolver);
    if (compiled.ok) continue;
    const at = pipe.nodes.find((n) => n.name === (compiled.error.node ?? node.name)) ?? node;
    if (failed.has(at.name)) continue;
    const { line, column } = sqlPosition(p.text, at, compiled.error.position);
    problem(p.result, line, `node '${at.name}': ${compiled.error.message}`, column);
  }
}

/**
 * File line and column of an offset in a node's SQL. Exact for plain nodes;
 * a templated node's rendered SQL no longer lines up, so it points at the node's SQL.
 */
function sqlPosition(text: string, node: PipeFile["nodes"][number], position: number | undefined): { line: number; column: number } {
  if (position === undefined || node.templated) return { line: node.sqlLine, column: 1 };
  const before = node.sql.slice(0, position);
  const lineInSql = before.split("\n").length - 1;
  const columnInSql = position - (before.lastIndexOf("\n") + 1);
  const line = node.sqlLine + lineInSql;
  const original = text.split("\n")[line - 1] ?? "";
  const sqlLine = node.sql.split("\n")[lineInSql] ?? "";
  const indent = (s: string) => s.length - s.trimStart().length;
  return { line, column: columnInSql + 1 + Math.max(0, indent(original) - indent(sqlLine)) };
}

/** `file:line:column: message` lines for human output. */
export function formatProblems(result: FileCheck, kind: "error" | "warning"): string[] {
  const list = kind === "error" ? result.errors : result.warnings;
  return list.map((e) => `${e.file ?? result.file}:${e.line}:${e.column}: ${kind === "warning" ? "warning: " : ""}${e.message}`);
}
