/**
 * What a restricted user's statement reads, decided from the engine's own
 * parse (`EXPLAIN AST`, read by shared/sql/ast), and whether the user's grants
 * cover it. This is the local stand-in for ClickHouse's access checks:
 *
 * - only reads: SELECT (UNION/INTERSECT/EXCEPT), EXPLAIN of a SELECT,
 *   DESCRIBE, EXISTS TABLE, SHOW CREATE TABLE;
 * - every table (FROM/JOIN, `x IN db.t`, DESCRIBE/EXISTS/SHOW CREATE targets)
 *   must lie in a granted database or be a granted table; unqualified names
 *   resolve in the current database;
 * - table functions: only pure generators; scalar `file()`, dictionaries,
 *   `joinGet`, `hasColumnInTable`, `catboostEvaluate`, user-defined functions
 *   and `INTO OUTFILE` are refused.
 *
 * The dump prints a qualified name as `db.table` without quoting, so a dot can
 * belong to either part (`` `a.b`.c `` and `` a.`b.c` `` both print `a.b.c`).
 * Every reading of such a name must be allowed.
 */
import { parseExplainAst, walk, type AstNode } from "../shared/sql/ast/index.js";
import type { Grant } from "./access-store.js";
import { ClickHouseException, Codes } from "./errors.js";

/** Table functions that read nothing but their arguments. */
const GENERATORS = new Set(
  ["numbers", "numbers_mt", "zeros", "zeros_mt", "generateRandom", "generate_series", "generateSeries", "values", "null", "view", "format"].map((n) =>
    n.toLowerCase(),
  ),
);
/** system tables that are pure generators too (ClickHouse lets anyone read `system.one`). */
const SYSTEM_GENERATORS = new Set(["one", "numbers", "numbers_mt", "zeros", "zeros_mt"]);
/** Functions whose second argument may name a table (`x IN db.t`), lower-cased, with the analyzer's IgnoreSet forms. */
const IN_FUNCTIONS = new Set(
  ["in", "notIn", "globalIn", "globalNotIn", "nullIn", "notNullIn", "globalNullIn", "globalNotNullIn"].flatMap((n) => [n.toLowerCase(), `${n}IgnoreSet`.toLowerCase()]),
);
/** Statements a restricted user may run (the root of the dump). */
const READ_ROOTS = new Set(["SelectWithUnionQuery", "SelectIntersectExceptQuery", "Explain", "DescribeQuery", "ExistsTableQuery", "ShowCreateTableQuery"]);
/** The EXPLAIN kinds that only describe a SELECT. */
const EXPLAIN_KINDS = new Set(["EXPLAIN", "EXPLAIN AST", "EXPLAIN SYNTAX", "EXPLAIN QUERY TREE", "EXPLAIN PLAN", "EXPLAIN PIPELINE", "EXPLAIN ESTIMATE"]);
/** Grants ClickHouse names for external sources, by table function. */
const SOURCE_GRANTS: Record<string, string> = {
  file: "FILE",
  filecluster: "FILE",
  url: "URL",
  urlcluster: "URL",
  s3: "S3",
  s3cluster: "S3",
  gcs: "S3",
  oss: "S3",
  cosn: "S3",
  hdfs: "HDFS",
  hdfscluster: "HDFS",
  remote: "REMOTE",
  remotesecure: "REMOTE",
  cluster: "REMOTE",
  clusterallreplicas: "REMOTE",
  mysql: "MYSQL",
  postgresql: "POSTGRES",
  sqlite: "SQLITE",
  odbc: "ODBC",
  jdbc: "JDBC",
  mongodb: "MONGO",
  redis: "REDIS",
  azureblobstorage: "AZURE",
  azureblobstoragecluster: "AZURE",
};

/** Everything in a statement that access depends on; cached per statement text. */
export interface ReadShape {
  /** Set when the statement is not a read: the root type of the dump. */
  notARead?: string;
  /** Table names as printed (`db.t`, `t`, possibly ambiguous). */
  tables: string[];
  /** Exact (database, table) pairs, from nodes that print them apart (EXISTS, SHOW CREATE). */
  exactTables: Array<{ database: string | undefined; table: string }>;
  tableFunctions: string[];
  functions: Array<{ name: string; firstArg?: string; args: string[] }>;
  intoOutfile: boolean;
}

function literalString(node: AstNode | undefined): string | undefined {
  if (node?.type !== "Literal" || node.name === undefined) return undefined;
  const m = /^'((?:[^'\\]|\\.)*)'$/s.exec(node.name);
  return m ? m[1]!.replace(/\\(.)/g, "$1") : undefined;
}

/** Reads the dump of `EXPLAIN AST <statement>`; throws when it is not one well-formed tree. */
export function readShape(dump: string): ReadShape {
  const parsed = parseExplainAst(dump);
  if (!parsed.ok) {
    throw new ClickHouseException(Codes.ACCESS_DENIED, `Not enough privileges. The statement could not be checked (${parsed.error})`);
  }
  const root = parsed.root;
  const shape: ReadShape = { tables: [], exactTables: [], tableFunctions: [], functions: [], intoOutfile: false };
  if (!READ_ROOTS.has(root.type)) {
    shape.notARead = root.type;
    return shape;
  }
  if (root.type === "Explain") {
    const inner = root.children.find((c) => c.type !== "Set" && c.type !== "Literal" && c.type !== "Identifier");
    if (!EXPLAIN_KINDS.has(root.name ?? "") || !inner || !["SelectWithUnionQuery", "SelectIntersectExceptQuery"].includes(inner.type)) {
      shape.notARead = `${root.type} ${root.name ?? ""}`.trim();
      return shape;
    }
  }
  if (root.type === "ExistsTableQuery" || root.type === "ShowCreateTableQuery") {
    const ids = root.children.filter((c) => c.type === "Identifier").map((c) => c.name ?? "");
    if (ids.length === 2) shape.exactTables.push({ database: ids[0], table: ids[1]! });
    else if (ids.length === 1) shape.exactTables.push({ database: undefined, table: ids[0]! });
    else shape.notARead = root.type;
  }
  const tableFunctionNodes = new Set<AstNode>();
  for (const { node, parent } of walk(root)) {
    if (node.type === "Literal" && parent && READ_ROOTS.has(parent.type)) shape.intoOutfile = true;
    if (node.type === "TableIdentifier") shape.tables.push(node.name ?? "");
    if (node.type === "TableExpression") {
      for (const c of node.children) {
        if (c.type === "Function") {
          tableFunctionNodes.add(c);
          shape.tableFunctions.push(c.name ?? "");
        }
      }
    }
    if (node.type === "Function" && !tableFunctionNodes.has(node)) {
      const args = node.children[0]?.type === "ExpressionList" ? node.children[0].children : [];
      const name = node.name ?? "";
      shape.functions.push({ name, args: args.map((a) => literalString(a) ?? "") });
      if (IN_FUNCTIONS.has(name.toLowerCase()) && args[1]?.type === "Identifier") shape.tables.push(args[1].name ?? "");
    }
  }
  return shape;
}

export interface FunctionCatalog {
  /** Built-in function names (exact case). */
  builtin: Set<string>;
  /** Lower-cased names of built-ins that are case-insensitive. */
  builtinCaseInsensitive: Set<string>;
  /** User-defined (SQL or executable) functions, exact case. */
  userDefined(): Promise<Set<string>>;
}

export interface Reader {
  user: string;
  grants: Grant[];
  currentDatabase: string;
}

function backQuoteIfNeed(s: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? s : `\`${s.replace(/\\/g, "\\\\").replace(/`/g, "\\`")}\``;
}

function denied(reader: Reader, grant: string): ClickHouseException {
  return new ClickHouseException(
    Codes.ACCESS_DENIED,
    `${reader.user}: Not enough privileges. To execute this query, it's necessary to have the grant ${grant}`,
  );
}

function tableAllowed(reader: Reader, database: string, table: string): boolean {
  if (database === "system" && SYSTEM_GENERATORS.has(table)) return true;
  return reader.grants.some((g) => g.database === database && (g.table === undefined || g.table === table));
}

/** Every (database, table) a printed name can mean. */
function readings(printed: string, currentDatabase: string): Array<{ database: string; table: string }> {
  const out = [{ database: currentDatabase, table: printed }];
  for (let i = printed.indexOf("."); i >= 0; i = printed.indexOf(".", i + 1)) {
    out.push({ database: printed.slice(0, i), table: printed.slice(i + 1) });
  }
  return out;
}

function grantFor(database: string, table: string): string {
  return `SELECT ON ${backQuoteIfNeed(database)}.${backQuoteIfNeed(table)}`;
}

const DENIED_FUNCTIONS: Array<{ test: (lower: string) => boolean; grant: (args: string[]) => string }> = [
  { test: (n) => n === "file" || n === "catboostevaluate", grant: () => "READ ON FILE" },
  { test: (n) => n.startsWith("dict"), grant: (a) => `dictGet ON ${a[0] ? a[0] : "*.*"}` },
  { test: (n) => n === "joinget" || n === "joingetornull", grant: (a) => `SELECT ON ${a[0] ? a[0] : "*.*"}` },
  { test: (n) => n === "hascolumnintable", grant: (a) => (a[0] && a[1] ? `SHOW COLUMNS ON ${backQuoteIfNeed(a[0])}.${backQuoteIfNeed(a[1])}` : "SHOW COLUMNS ON *.*") },
];

/** Throws ACCESS_DENIED (or READONLY for a non-read) unless the reader may run a statement of this shape. */
export async function authorizeRead(shape: ReadShape, reader: Reader, functions: FunctionCatalog): Promise<void> {
  if (shape.notARead !== undefined) {
    throw new ClickHouseException(Codes.READONLY, `${reader.user}: Cannot execute query in readonly mode`);
  }
  if (shape.intoOutfile) throw denied(reader, "WRITE ON FILE");
  for (const { database, table } of shape.exactTables) {
    const db = database ?? reader.currentDatabase;
    if (!tableAllowed(reader, db, table)) throw denied(reader, grantFor(db, table));
  }
  for (const printed of shape.tables) {
    for (const { database, table } of readings(printed, reader.currentDatabase)) {
      if (!tableAllowed(reader, database, table)) throw denied(reader, grantFor(database, table));
    }
  }
  for (const name of shape.tableFunctions) {
    const lower = name.toLowerCase();
    if (GENERATORS.has(lower)) continue;
    throw denied(reader, SOURCE_GRANTS[lower] ? `READ ON ${SOURCE_GRANTS[lower]}` : "CREATE TEMPORARY TABLE ON *.*");
  }
  let userDefined: Set<string> | undefined;
  for (const f of shape.functions) {
    const lower = f.name.toLowerCase();
    const rule = DENIED_FUNCTIONS.find((r) => r.test(lower));
    if (rule) throw denied(reader, rule.grant(f.args));
    if (functions.builtin.has(f.name) || functions.builtinCaseInsensitive.has(lower)) continue;
    // Not a built-in: the parser's own (lambda, exists, …), a typo the engine will report, or a
    // user-defined function, whose body this check cannot see.
    userDefined ??= await functions.userDefined();
    if (userDefined.has(f.name)) throw denied(reader, `EXECUTE ON FUNCTION ${backQuoteIfNeed(f.name)}`);
  }
}
