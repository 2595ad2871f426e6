/**
 * @module
 * The `ENGINE = …` part of CREATE TABLE and the MergeTree clauses after it,
 * from a datasource's engine spec. Key and TTL expressions are SQL written by
 * the user and go in as written; column arguments are quoted.
 */
import type { EngineSpec, MergeTreeOptions } from "../../datafiles/ast.js";
import { splitTopLevel } from "../../datafiles/schema.js";
import { quoteIdentifier } from "./quote.js";

/** Whether `expr` has a comma outside parentheses, brackets and quotes. */
const hasTopLevelComma = (expr: string): boolean => splitTopLevel(expr, { braces: false, backtickEscapes: true }).length > 1;

/** A key list as one expression: `a, b` becomes `(a, b)`; a single expression stays as is. */
export function keyExpression(expr: string): string {
  const trimmed = expr.trim();
  return hasTopLevelComma(trimmed) ? `(${trimmed})` : trimmed;
}

/** `MergeTree`, `ReplacingMergeTree(`ver`)`, `Join(ANY, LEFT, `id`)`, … */
export function engineCall(engine: EngineSpec): string {
  const args: string[] = [];
  switch (engine.type) {
    case "MergeTree": case "AggregatingMergeTree": case "Null": break;
    case "ReplacingMergeTree":
      if (engine.ver !== undefined) args.push(quoteIdentifier(engine.ver));
      if (engine.ver !== undefined && engine.isDeleted !== undefined) args.push(quoteIdentifier(engine.isDeleted));
      break;
    case "SummingMergeTree":
      // ClickHouse takes the columns to sum as one argument: a column or a tuple of columns.
      if (engine.columns && engine.columns.length === 1) args.push(quoteIdentifier(engine.columns[0]!));
      else if (engine.columns && engine.columns.length > 1) args.push(`(${engine.columns.map(quoteIdentifier).join(", ")})`);
      break;
    case "CollapsingMergeTree": args.push(quoteIdentifier(engine.sign)); break;
    case "VersionedCollapsingMergeTree": args.push(quoteIdentifier(engine.sign), quoteIdentifier(engine.version)); break;
    case "Join": args.push(engine.strictness, engine.joinType, ...engine.keyColumns.map(quoteIdentifier)); break;
  }
  return args.length === 0 ? engine.type : `${engine.type}(${args.join(", ")})`;
}

/** The clauses after ENGINE, one per line, in ClickHouse's documented order. */
export function mergeTreeClauses(options: MergeTreeOptions): string[] {
  const clauses: string[] = [];
  if (options.partitionKey !== undefined) clauses.push(`PARTITION BY ${keyExpression(options.partitionKey)}`);
  clauses.push(`ORDER BY ${options.sortingKey === undefined ? "tuple()" : keyExpression(options.sortingKey)}`);
  if (options.primaryKey !== undefined) clauses.push(`PRIMARY KEY ${keyExpression(options.primaryKey)}`);
  if (options.samplingKey !== undefined) clauses.push(`SAMPLE BY ${options.samplingKey.trim()}`);
  if (options.ttl !== undefined) clauses.push(`TTL ${options.ttl.trim()}`);
  if (options.settings !== undefined) clauses.push(`SETTINGS ${options.settings.trim()}`);
  return clauses;
}

/** `ENGINE = …` plus its clauses, one per line. */
export function engineClause(engine: EngineSpec): string {
  const lines = [`ENGINE = ${engineCall(engine)}`];
  if (engine.type !== "Null" && engine.type !== "Join") lines.push(...mergeTreeClauses(engine));
  return lines.join("\n");
}
