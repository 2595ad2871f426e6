/**
 * What a read may touch, decided from ClickHouse's own parse of the exact SQL
 * that will run (`EXPLAIN AST`, read by `../ast`). The rules:
 *
 * - one read statement: a SELECT (UNION/INTERSECT/EXCEPT included), DESCRIBE or
 *   EXISTS; no `SETTINGS` clause, no `INTO OUTFILE`, no other statement kind
 *   anywhere (a subquery `EXPLAIN …` included);
 * - every function on the allowlist (`allowed-functions.ts`, aggregate
 *   combinators stripped), every table function on `ALLOWED_TABLE_FUNCTIONS`;
 * - every table named with a database (`db.t`, `x IN db.t`, `joinGet('db.t', …)`,
 *   `EXISTS db.t`) is in the caller's database, and the multiset of such names
 *   equals the one the rewriter produced (`expectedTables`): a name the
 *   tokenizer did not see (and so could not check against the caller's scopes
 *   or wrap in its row filter) fails the read. Names without a database are
 *   CTEs or tables of the session's current database, which Tern keeps empty.
 *
 * @module
 */
import { walk, type AstNode } from "../ast/index.js";
import { ALLOWED_AGGREGATES, ALLOWED_FUNCTIONS, ALLOWED_FUNCTIONS_ANY_CASE } from "./allowed-functions.js";
import { ALLOWED_TABLE_FUNCTIONS, DENIED_FUNCTIONS, SYNTAX_FUNCTIONS } from "./denied-functions.js";

export interface ReadPolicy {
  /** The one database a qualified table name may point into. */
  database: string;
  /** `db.table` names the rewriter put into the SQL, as many times as they appear. */
  expectedTables: readonly string[];
}

export type GuardCode = "forbidden" | "not_read_only" | "unverifiable";
export type GuardVerdict = { ok: true } | { ok: false; code: GuardCode; message: string };

const READ_ROOTS = new Set(["SelectWithUnionQuery", "DescribeQuery", "ExistsTableQuery"]);
const QUERY_NODES = new Set(["SelectWithUnionQuery", "SelectQuery", "TablesInSelectQuery", "SelectIntersectExceptQuery", "DescribeQuery", "ExistsTableQuery"]);
const IN_FUNCTIONS = new Set([
  "in", "notIn", "globalIn", "globalNotIn", "nullIn", "notNullIn", "globalNullIn", "globalNotNullIn",
  "inIgnoreSet", "notInIgnoreSet", "globalInIgnoreSet", "globalNotInIgnoreSet", "nullInIgnoreSet",
  "notNullInIgnoreSet", "globalNullInIgnoreSet", "globalNotNullInIgnoreSet",
]);
const STRING_TABLE_FUNCTIONS = new Set(["joinGet", "joinGetOrNull"]);
const COMBINATORS = [
  "SimpleState", "MergeState", "Distinct", "OrDefault", "Resample", "ForEach", "ArgMin", "ArgMax",
  "OrNull", "State", "Merge", "Array", "Map", "If",
];

const refuse = (code: GuardCode, message: string): GuardVerdict => ({ ok: false, code, message });

/** Is `name` a function user SQL may call? */
export function isAllowedFunction(name: string): boolean {
  if (DENIED_FUNCTIONS.has(name)) return false;
  if (ALLOWED_FUNCTIONS.has(name) || ALLOWED_FUNCTIONS_ANY_CASE.has(name.toLowerCase()) || SYNTAX_FUNCTIONS.has(name)) return true;
  return isAllowedAggregate(name, 0);
}

function isAllowedAggregate(name: string, depth: number): boolean {
  if (depth > 4) return false;
  for (const suffix of COMBINATORS) {
    if (name.length > suffix.length && name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      if (ALLOWED_AGGREGATES.has(base) || ALLOWED_AGGREGATES.has(base.toLowerCase()) || isAllowedAggregate(base, depth + 1)) return true;
    }
  }
  return false;
}

export function checkRead(root: AstNode, policy: ReadPolicy): GuardVerdict {
  if (!READ_ROOTS.has(root.type)) return refuse("not_read_only", "Only SELECT, DESCRIBE and EXISTS queries are allowed");
  if (root.type === "SelectWithUnionQuery" && root.children.length !== 1) {
    return refuse("not_read_only", "INTO OUTFILE, FORMAT and SETTINGS after a UNION are not allowed here");
  }
  const seen: string[] = [];
  const table = (raw: string): GuardVerdict | undefined => {
    const dot = raw.indexOf(".");
    if (dot < 0) return undefined; // a CTE, or the empty current database
    const db = raw.slice(0, dot);
    const name = raw.slice(dot + 1);
    if (db !== policy.database || name === "" || name.includes(".")) {
      return refuse("forbidden", `Resource '${raw}' is not accessible: only this workspace's datasources and pipes, and tinybird.* service datasources, can be queried`);
    }
    seen.push(raw);
    return undefined;
  };

  for (const { node, parent } of walk(root)) {
    const t = node.type;
    if (t === "Set" || t === "SetQuery") return refuse("forbidden", "SETTINGS clauses are not allowed in queries; the platform sets query limits");
    if ((t.endsWith("Query") && !QUERY_NODES.has(t)) || t.startsWith("Explain")) {
      return refuse("not_read_only", "Only SELECT, DESCRIBE and EXISTS queries are allowed");
    }
    if (t === "TableIdentifier") {
      const v = table(node.name ?? "");
      if (v) return v;
    } else if (t === "ExistsTableQuery") {
      const parts = node.children.filter((c) => c.type === "Identifier").map((c) => c.name ?? "");
      if (parts.length !== node.children.length || parts.length < 1 || parts.length > 2) return refuse("unverifiable", "This EXISTS query could not be checked");
      const v = table(parts.join("."));
      if (v) return v;
    } else if (t === "Function") {
      const name = node.name ?? "";
      const isTableFunction = parent?.type === "TableExpression";
      if (isTableFunction) {
        if (!ALLOWED_TABLE_FUNCTIONS.has(name)) return refuse("forbidden", `Table function '${name}' is not allowed`);
        continue;
      }
      if (!isAllowedFunction(name)) {
        const why = DENIED_FUNCTIONS.get(name);
        return refuse("forbidden", why ? `Function '${name}' is not allowed: it ${why}` : `Function '${name}' is not allowed`);
      }
      const args = node.children.find((c) => c.type === "ExpressionList")?.children ?? [];
      if (IN_FUNCTIONS.has(name) && args[1] && (args[1].type === "Identifier" || args[1].type === "TableIdentifier")) {
        const v = table(args[1].name ?? "");
        if (v) return v;
      }
      if (STRING_TABLE_FUNCTIONS.has(name)) {
        const first = args[0];
        const literal = first?.type === "Literal" ? /^'([^'\\]*)'$/.exec(first.name ?? "") : null;
        if (!literal) return refuse("forbidden", `${name} needs the table as a plain string literal`);
        const v = table(literal[1]!);
        if (v) return v;
      }
    }
  }

  if (!sameMultiset(seen, policy.expectedTables)) {
    return refuse(
      "unverifiable",
      "The query names a table in a way Tern cannot check (unusual spacing, quoting or comments around a table name); write it plainly",
    );
  }
  return { ok: true };
}

function sameMultiset(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const counts = new Map<string, number>();
  for (const x of a) counts.set(x, (counts.get(x) ?? 0) + 1);
  for (const x of b) {
    const left = counts.get(x);
    if (!left) return false;
    counts.set(x, left - 1);
  }
  return true;
}
