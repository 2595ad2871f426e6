/**
 * @module
 * ClickHouse's own parse of the DDL Tern is about to run, checked against
 * what Tern meant to write. The deploy sends `EXPLAIN AST CREATE TABLE …`
 * (it parses, it creates nothing) and reads the dump with `../ast`; this
 * module decides from the tree:
 *
 * - the statement is one `CREATE TABLE` of the expected database and table,
 *   with exactly the expected columns (each with exactly its DEFAULT/CODEC),
 *   indexes, engine arguments and storage clauses: a value that smuggled in
 *   another clause, column, `AS SELECT` or `COMMENT` changes the shape;
 * - every expression holds only functions a table definition may call
 *   (`./ddl-functions.ts`), identifiers naming the table's own columns (or a
 *   lambda's parameters), literals, and no subquery, table or statement;
 * - codecs and index types are from `./ddl-names.ts` with literal arguments.
 *
 * The dump does not print settings, TTL actions (`TO DISK`, `GROUP BY … SET`)
 * or index granularity: `./value-check.ts` returns the expressions hidden
 * there, and the deploy parses them with `checkExpressionsAst`.
 *
 * Node types in the dump may hold a space (`Columns definition`): the reader
 * keeps the first word as the type and the rest as the name.
 */
import type { AstNode } from "../ast/index.js";
import type { EngineSpec } from "../../datafiles/ast.js";
import type { TableDefinition, TableTarget } from "./create-table.js";
import { CODECS, INDEX_TYPES, IN_FUNCTIONS } from "./ddl-names.js";
import { ddlFunctionProblem } from "./ddl-functions.js";

/** Storage clauses in the order ClickHouse prints them under `Storage definition`. */
export const STORAGE_CLAUSES = ["partition", "primary", "order", "sample", "ttl", "settings"] as const;
export type StorageClause = (typeof STORAGE_CLAUSES)[number];

/** An engine argument: a name (a column, or Join's strictness and kind) or a tuple of column names. */
export type EngineArgument = string | string[];

export interface TableShape extends TableTarget {
  columns: Array<{ name: string; default: boolean; codec: boolean }>;
  indexes: number;
  engine: string;
  engineArgs: EngineArgument[];
  clauses: StorageClause[];
}

export type DdlPart =
  | { kind: "statement" }
  | { kind: "column"; name: string }
  | { kind: "index"; index: number }
  | { kind: "engine" }
  | { kind: "clause"; clause: StorageClause };

export type DdlAstCheck = { ok: true } | { ok: false; part: DdlPart; message: string };

const MAX_DEPTH = 200;
const SUBQUERY = "subqueries are not allowed in a DDL value";

/** The shape `createTableSql(def, target)` writes. */
export function tableShapeOf(def: TableDefinition, target: TableTarget): TableShape {
  const engine = def.engine;
  const clauses: StorageClause[] = [];
  if (engine.type !== "Null" && engine.type !== "Join") {
    if (engine.partitionKey !== undefined) clauses.push("partition");
    if (engine.primaryKey !== undefined) clauses.push("primary");
    clauses.push("order");
    if (engine.samplingKey !== undefined) clauses.push("sample");
    if (engine.ttl !== undefined) clauses.push("ttl");
    if (engine.settings !== undefined) clauses.push("settings");
  }
  return {
    ...target,
    columns: def.columns.map((c) => ({ name: c.name, default: c.default !== undefined || c.materialized !== undefined, codec: c.codec !== undefined })),
    indexes: def.indexes.length,
    engine: engine.type,
    engineArgs: engineArguments(engine),
    clauses,
  };
}

/** Mirrors `engineCall` in `./engine-clause.ts`. */
function engineArguments(engine: EngineSpec): EngineArgument[] {
  switch (engine.type) {
    case "ReplacingMergeTree":
      return engine.ver === undefined ? [] : engine.isDeleted === undefined ? [engine.ver] : [engine.ver, engine.isDeleted];
    case "SummingMergeTree":
      if (!engine.columns || engine.columns.length === 0) return [];
      return engine.columns.length === 1 ? [engine.columns[0]!] : [engine.columns];
    case "CollapsingMergeTree": return [engine.sign];
    case "VersionedCollapsingMergeTree": return [engine.sign, engine.version];
    case "Join": return [engine.strictness, engine.joinType, ...engine.keyColumns];
    default: return [];
  }
}

/** Whether `node` exists and has this type (and name). Not a type guard: a false answer says nothing about the node's type. */
const is = (node: AstNode | undefined, type: string, name?: string): boolean =>
  node !== undefined && node.type === type && (name === undefined || node.name === name);

/** Checks the dump of `EXPLAIN AST <the CREATE TABLE Tern will run>` against the shape Tern meant to write. */
export function checkCreateTableAst(root: AstNode, shape: TableShape): DdlAstCheck {
  const statement = (message: string): DdlAstCheck => ({ ok: false, part: { kind: "statement" }, message });
  if (root.type !== "CreateQuery") return statement("the statement is not a CREATE TABLE");
  const [db, table, columnsDef, storage, ...extra] = root.children;
  if (extra.length > 0 || !is(db, "Identifier", shape.database) || !is(table, "Identifier", shape.table)) {
    return statement("the CREATE TABLE has clauses Tern did not write (AS, COMMENT, …) or names another table");
  }
  if (!is(columnsDef, "Columns", "definition") || !is(storage, "Storage", "definition")) return statement("the CREATE TABLE is not a column list and an engine");

  const columnSet = new Set(shape.columns.map((c) => c.name));
  const [columnList, indexList, ...more] = columnsDef!.children;
  if (more.length > 0 || !is(columnList, "ExpressionList") || (shape.indexes > 0) !== (indexList !== undefined)) {
    return statement("the column list holds parts Tern did not write (constraints, projections, …)");
  }
  if (columnList!.children.length !== shape.columns.length) return statement("the column list does not have the datasource's columns");
  for (const [i, expected] of shape.columns.entries()) {
    const problem = columnProblem(columnList!.children[i]!, expected, columnSet);
    if (problem) return { ok: false, part: { kind: "column", name: expected.name }, message: problem };
  }
  if (indexList) {
    if (!is(indexList, "ExpressionList") || indexList.children.length !== shape.indexes) return statement("the index list does not have the datasource's indexes");
    for (const [i, index] of indexList.children.entries()) {
      const problem = indexProblem(index, columnSet);
      if (problem) return { ok: false, part: { kind: "index", index: i }, message: problem };
    }
  }

  const [engine, ...clauses] = storage!.children;
  const engineError = engineProblem(engine, shape);
  if (engineError) return { ok: false, part: { kind: "engine" }, message: engineError };
  if (clauses.length !== shape.clauses.length) return statement("the engine has clauses Tern did not write");
  for (const [i, clause] of shape.clauses.entries()) {
    const problem = clauseProblem(clauses[i]!, clause, columnSet);
    if (problem) return { ok: false, part: { kind: "clause", clause }, message: problem };
  }
  return { ok: true };
}

function columnProblem(node: AstNode, expected: TableShape["columns"][number], columns: ReadonlySet<string>): string | undefined {
  if (!is(node, "ColumnDeclaration", expected.name)) return "the column list does not have the datasource's columns";
  const want = 1 + (expected.default ? 1 : 0) + (expected.codec ? 1 : 0);
  if (node.children.length !== want) return "the column has parts Tern did not write (COMMENT, TTL, settings, …)";
  const [type, ...rest] = node.children;
  const typeError = typeProblem(type!, 0);
  if (typeError) return typeError;
  if (expected.default) {
    const problem = exprProblem(rest.shift()!, columns, [], 0);
    if (problem) return problem;
  }
  if (expected.codec) return codecProblem(rest.shift()!);
  return undefined;
}

/** Types are data types all the way down; the only functions are an aggregate's (and JSON's `name = value` options). */
function typeProblem(node: AstNode, depth: number): string | undefined {
  if (depth > MAX_DEPTH) return "the type is nested too deeply";
  if (!node.type.endsWith("DataType")) return `\`${node.type}\` is not a type`;
  const aggregate = node.name === "AggregateFunction" || node.name === "SimpleAggregateFunction";
  for (const list of node.children) {
    if (!is(list, "ExpressionList")) return `\`${list.type}\` is not a type argument`;
    for (const [i, arg] of list.children.entries()) {
      const problem = aggregate && i === 0 ? aggregateNameProblem(arg) : typeArgumentProblem(arg, depth + 1);
      if (problem) return problem;
    }
  }
  return undefined;
}

function aggregateNameProblem(node: AstNode): string | undefined {
  if (is(node, "Identifier")) return ddlFunctionProblem(node.name ?? "");
  if (is(node, "Function")) return exprProblem(node, new Set(), [], 0);
  return "an AggregateFunction type must start with a function name";
}

function typeArgumentProblem(node: AstNode, depth: number): string | undefined {
  if (node.type.endsWith("DataType")) return typeProblem(node, depth);
  switch (node.type) {
    case "Literal": return undefined;
    case "NameTypePair": case "ObjectTypedPath":
      return node.children.length === 1 ? typeProblem(node.children[0]!, depth + 1) : "unexpected type argument";
    case "ASTObjectTypeArgument": {
      const [inner] = node.children;
      if (node.children.length !== 1 || !inner) return "unexpected JSON type argument";
      if (is(inner, "Identifier") || is(inner, "Literal")) return undefined;
      if (is(inner, "Function", "equals")) return optionProblem(inner);
      return typeArgumentProblem(inner, depth + 1);
    }
    case "Function":
      return is(node, "Function", "equals") ? optionProblem(node) : `\`${node.name}\` is not a type argument`;
    default: return `\`${node.type}\` is not a type argument`;
  }
}

/** `name = literal`, as JSON, Dynamic and text indexes take options. */
function optionProblem(node: AstNode): string | undefined {
  const args = node.children[0]?.children ?? [];
  if (node.children.length !== 1 || args.length !== 2 || !is(args[0], "Identifier")) return "an option must be written name = value";
  const value = args[1]!;
  if (is(value, "Literal")) return undefined;
  // text(tokenizer = ngrams(3)): a tokenizer with literal arguments.
  if (is(value, "Function") && value.children.every((l) => is(l, "ExpressionList") && l.children.every((a) => is(a, "Literal")))) return undefined;
  return "an option's value must be a literal";
}

function codecProblem(node: AstNode): string | undefined {
  if (!is(node, "Function", "CODEC") || node.children.length !== 1) return "the column has parts Tern did not write";
  for (const codec of node.children[0]!.children) {
    if (!is(codec, "Function") || !CODECS.has((codec.name ?? "").toLowerCase())) return `codec \`${codec.name ?? codec.type}\` is not allowed`;
    if (!literalArguments(codec)) return `codec \`${codec.name}\` takes literal arguments only`;
  }
  return undefined;
}

function literalArguments(fn: AstNode): boolean {
  return fn.children.every((list) => is(list, "ExpressionList") && list.children.every((a) => is(a, "Literal")));
}

function indexProblem(node: AstNode, columns: ReadonlySet<string>): string | undefined {
  if (!is(node, "Index") || node.children.length !== 2) return "the index has parts Tern did not write";
  const [expr, type] = node.children;
  const problem = exprProblem(expr!, columns, [], 0);
  if (problem) return problem;
  if (!is(type, "Function") || !INDEX_TYPES.has((type!.name ?? "").toLowerCase())) return `index type \`${type!.name ?? type!.type}\` is not allowed`;
  for (const list of type!.children) {
    if (!is(list, "ExpressionList")) return "unexpected index type arguments";
    for (const arg of list.children) {
      if (is(arg, "Literal")) continue;
      if (is(arg, "Function", "equals")) {
        const option = optionProblem(arg);
        if (option) return option;
        continue;
      }
      return "index type arguments must be literals";
    }
  }
  return undefined;
}

function engineProblem(node: AstNode | undefined, shape: TableShape): string | undefined {
  if (!is(node, "Function", shape.engine)) return `the engine is not ${shape.engine}`;
  const args = node!.children.length === 0 ? [] : node!.children[0]!.children;
  if (node!.children.length > 1 || args.length !== shape.engineArgs.length) return `the ${shape.engine} engine has arguments Tern did not write`;
  for (const [i, expected] of shape.engineArgs.entries()) {
    const arg = args[i]!;
    if (typeof expected === "string") {
      if (!is(arg, "Identifier", expected) || arg.children.length > 0) return `the ${shape.engine} engine has arguments Tern did not write`;
      continue;
    }
    const names = is(arg, "Function", "tuple") && arg.children.length === 1 ? arg.children[0]!.children : [];
    if (names.length !== expected.length || names.some((n, j) => !is(n, "Identifier", expected[j]))) {
      return `the ${shape.engine} engine has arguments Tern did not write`;
    }
  }
  return undefined;
}

function clauseProblem(node: AstNode, clause: StorageClause, columns: ReadonlySet<string>): string | undefined {
  if (clause === "settings") return is(node, "Set") && node.children.length === 0 ? undefined : "the SETTINGS clause is not where Tern wrote it";
  if (clause === "ttl") {
    if (!is(node, "ExpressionList")) return "the TTL clause is not a TTL list";
    for (const element of node.children) {
      if (!is(element, "TTLElement")) return "the TTL clause is not a TTL list";
      for (const part of element.children) {
        const problem = exprProblem(part, columns, [], 0);
        if (problem) return problem;
      }
    }
    return undefined;
  }
  return exprProblem(node, columns, [], 0);
}

/**
 * Why an expression node may not be part of a table definition, or undefined.
 * `params` are the names the enclosing lambdas bind.
 */
export function exprProblem(node: AstNode, columns: ReadonlySet<string>, params: readonly string[], depth: number): string | undefined {
  if (depth > MAX_DEPTH) return "the expression is nested too deeply";
  switch (node.type) {
    case "Literal":
      return node.children.length === 0 ? undefined : "unexpected literal";
    case "Identifier": {
      const name = node.name ?? "";
      if (node.children.length > 0) return "unexpected identifier";
      const parts = name.split(".");
      if (params.includes(parts[0]!)) return undefined;
      for (let k = parts.length; k >= 1; k--) if (columns.has(parts.slice(0, k).join("."))) return undefined;
      return `\`${name}\` is not a column of this datasource`;
    }
    case "ExpressionList":
      for (const child of node.children) {
        const problem = exprProblem(child, columns, params, depth + 1);
        if (problem) return problem;
      }
      return undefined;
    case "Function":
      return functionProblem(node, columns, params, depth);
    case "Subquery":
      return SUBQUERY;
    case "TableIdentifier": case "TableExpression": case "TablesInSelectQuery": case "TablesInSelectQueryElement":
      return "tables are not allowed in a DDL value";
    case "Set": case "SetQuery":
      return "SETTINGS is not allowed in a DDL value";
    default:
      if (node.type.endsWith("Query") || node.type.startsWith("Explain")) return "statements are not allowed in a DDL value";
      return `\`${node.type}\` is not allowed in a DDL value`;
  }
}

function functionProblem(node: AstNode, columns: ReadonlySet<string>, params: readonly string[], depth: number): string | undefined {
  const name = node.name ?? "";
  if (node.children.some((c) => !is(c, "ExpressionList"))) return `\`${name}\` is used with a clause a DDL value does not take (OVER, …)`;
  const args = node.children[0]?.children ?? [];
  if (name === "lambda") {
    const [head, body] = args;
    const names = is(head, "Function", "tuple") && head!.children.length === 1 ? head!.children[0]!.children : [];
    if (args.length !== 2 || names.length === 0 || names.some((n) => !is(n, "Identifier") || n.children.length > 0)) return "unexpected lambda";
    return exprProblem(body!, columns, [...params, ...names.map((n) => n.name ?? "")], depth + 1);
  }
  if (IN_FUNCTIONS.has(name) && (is(args[1], "Identifier") || is(args[1], "TableIdentifier"))) {
    return "`IN <name>` reads a table or a set; list the values in parentheses instead";
  }
  const problem = ddlFunctionProblem(name);
  if (problem) return problem;
  for (const list of node.children) {
    const inner = exprProblem(list, columns, params, depth + 1);
    if (inner) return inner;
  }
  return undefined;
}

/**
 * Checks the dump of `EXPLAIN AST SELECT e1, e2, …`: a bare SELECT of exactly
 * `count` expressions, each allowed in a table definition (or, with
 * `literalsOnly`, each a literal). Used for a delete condition and for the
 * parts of a CREATE TABLE the dump does not print.
 */
export function checkExpressionsAst(
  root: AstNode, options: { columns: ReadonlySet<string>; count: number; literalsOnly?: boolean },
): { ok: true } | { ok: false; index: number | undefined; message: string } {
  const select = root.type === "SelectWithUnionQuery" && root.children.length === 1 && is(root.children[0], "ExpressionList") && root.children[0]!.children.length === 1
    ? root.children[0]!.children[0]
    : undefined;
  const list = is(select, "SelectQuery") && select!.children.length === 1 ? select!.children[0] : undefined;
  if (!list || !is(list, "ExpressionList") || list.children.length !== options.count) {
    return { ok: false, index: undefined, message: "the value is not a plain expression (ClickHouse read a clause, a FROM or a second expression)" };
  }
  for (const [index, node] of list.children.entries()) {
    if (options.literalsOnly) {
      if (!is(node, "Literal") && !(is(node, "Function", "negate") && node.children[0]?.children.every((c) => is(c, "Literal")))) {
        return { ok: false, index, message: "expected a literal value" };
      }
      continue;
    }
    const problem = exprProblem(node, options.columns, [], 0);
    if (problem) return { ok: false, index, message: problem };
  }
  return { ok: true };
}
