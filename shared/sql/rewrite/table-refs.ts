/**
 * Finds every place a statement names a table, without a full SQL parser.
 *
 * Table positions recognised:
 * - after `FROM` in a query scope (a bracket level that holds a SELECT), so
 *   `extract(DAY FROM d)`, `trim(BOTH ' ' FROM s)` and `IS DISTINCT FROM` are
 *   skipped;
 * - after any `… JOIN` except `ARRAY JOIN` (whose arguments are columns);
 * - comma joins: `FROM a, b AS x, c`;
 * - after `IN` (also `NOT IN`, `GLOBAL IN`) when followed by a bare name;
 * - `DESCRIBE [TABLE] name`, `EXISTS [TABLE] name`;
 * - the function forms of IN (`in(x, t)`, `globalNotIn(x, t)`, …);
 * - the string first argument of `joinGet`/`joinGetOrNull` (context `string`).
 * A name is `table` or `db.table`; a name followed by `(` is a table
 * function. Names defined by WITH (CTEs and `expr AS alias`) are never
 * tables. Subqueries are not skipped: their own FROMs are found the same way.
 *
 * @module
 */
import { buildStructure, isKeyword, isName, isPunct, nameOf, type Structure } from "./structure.js";
import type { Token } from "./tokenize.js";
import type { SqlError } from "./errors.js";

/** `string`: the first argument of joinGet/joinGetOrNull, a table named by a string literal. */
export type TableContext = "from" | "join" | "in" | "describe" | "string";

export interface TableReference {
  name: string;
  database?: string;
  /** Source span of `name` or `db.name`, quotes included. */
  start: number;
  end: number;
  context: TableContext;
  /** An explicit alias follows (`FROM t AS x`, `FROM t x`). */
  hasAlias: boolean;
}

export interface TableFunctionReference {
  name: string;
  database?: string;
  start: number;
  end: number;
}

export interface StatementTables {
  tables: TableReference[];
  tableFunctions: TableFunctionReference[];
  /** Names bound by WITH, with where they are visible. */
  localNames: LocalName[];
}

/** Words that end a table expression instead of being its alias. */
const NOT_AN_ALIAS = new Set([
  "FINAL", "SAMPLE", "WHERE", "PREWHERE", "GROUP", "ORDER", "LIMIT", "HAVING", "SETTINGS", "FORMAT",
  "UNION", "INTERSECT", "EXCEPT", "WINDOW", "QUALIFY", "JOIN", "INNER", "LEFT", "RIGHT", "FULL",
  "CROSS", "OUTER", "ANY", "ALL", "ASOF", "SEMI", "ANTI", "GLOBAL", "LOCAL", "ARRAY", "PASTE", "ON",
  "USING", "INTO", "OFFSET", "FETCH", "WITH", "SELECT", "AS",
]);

/** `WITH TOTALS`, `WITH FILL`, … are modifiers, not a WITH clause. */
const WITH_MODIFIERS = new Set(["TOTALS", "ROLLUP", "CUBE", "FILL", "TIES"]);

/** Functions whose SQL-standard syntax puts FROM/IN between their arguments. */
const KEYWORD_ARG_FUNCTIONS = new Set(["EXTRACT", "SUBSTRING", "TRIM", "POSITION", "OVERLAY"]);

export interface LocalName {
  name: string;
  /** Visible after this token index… */
  after: number;
  /** …and inside this bracket group (-1: the whole statement). */
  group: number;
}

/** Function forms of IN whose second argument may be a table. */
const IN_FUNCTIONS = new Set([
  "in", "notin", "globalin", "globalnotin", "nullin", "notnullin", "globalnullin", "globalnotnullin",
]);

/** Functions that name a (Join engine) table in a string first argument. */
const STRING_TABLE_FUNCTIONS = new Set(["joinget", "joingetornull"]);

export type FindTablesResult = { ok: true; found: StatementTables; structure: Structure } | { ok: false; error: SqlError };

export function findTables(sql: string): FindTablesResult {
  const built = buildStructure(sql);
  if (!built.ok) return { ok: false, error: { code: "syntax", message: built.error.message, position: built.error.position } };
  return { ok: true, found: findTablesIn(built.structure), structure: built.structure };
}

export function findTablesIn(structure: Structure): StatementTables {
  const { tokens } = structure;
  const localNames = collectWithNames(structure);
  const found: StatementTables = { tables: [], tableFunctions: [], localNames };

  tokens.forEach((token, i) => {
    if (token.kind !== "identifier") return;
    const word = token.text.toUpperCase();
    if (isPunct(tokens[i + 1], "(") && !isPunct(tokens[i - 1], ".")) {
      const fn = token.text.toLowerCase();
      if (IN_FUNCTIONS.has(fn)) inFunctionTarget(structure, i + 1, found);
      else if (STRING_TABLE_FUNCTIONS.has(fn)) stringTableArgument(structure, i + 1, found);
    }
    if (word === "FROM" && startsTableList(structure, i)) {
      tableExpression(structure, i + 1, "from", found);
      for (const comma of commaJoins(structure, i)) tableExpression(structure, comma + 1, "from", found);
    } else if (word === "JOIN" && !isKeyword(tokens[i - 1], "ARRAY")) {
      tableExpression(structure, i + 1, "join", found);
    } else if (word === "IN" && !insideKeywordArgFunction(structure, i)) {
      inTarget(structure, i + 1, found);
    } else if ((word === "DESCRIBE" || word === "DESC") && i === 0) {
      const at = isKeyword(tokens[1], "TABLE") ? 2 : 1;
      tableExpression(structure, at, "describe", found);
    } else if (word === "EXISTS" && i === 0) {
      let at = isKeyword(tokens[1], "TEMPORARY") ? 2 : 1;
      if (["TABLE", "VIEW", "DICTIONARY"].some((k) => isKeyword(tokens[at], k))) at++;
      tableExpression(structure, at, "describe", found);
    }
  });
  found.tables.sort((a, b) => a.start - b.start);
  return found;
}

function startsTableList(structure: Structure, i: number): boolean {
  const { tokens, parent, selectGroups } = structure;
  if (!selectGroups.has(parent[i]!)) return false;
  // `a IS [NOT] DISTINCT FROM b`
  if (isKeyword(tokens[i - 1], "DISTINCT") && (isKeyword(tokens[i - 2], "IS") || isKeyword(tokens[i - 2], "NOT"))) return false;
  return !insideKeywordArgFunction(structure, i);
}

function insideKeywordArgFunction({ tokens, parent }: Structure, i: number): boolean {
  const open = parent[i]!;
  if (open < 0) return false;
  const fn = tokens[open - 1];
  return fn?.kind === "identifier" && KEYWORD_ARG_FUNCTIONS.has(fn.text.toUpperCase());
}

interface QualifiedName {
  name: Token;
  database?: Token;
  /** Index of the first token after the name. */
  next: number;
}

function qualifiedName(tokens: Token[], at: number): QualifiedName | undefined {
  const first = tokens[at];
  if (!isName(first)) return undefined;
  const second = tokens[at + 2];
  if (isPunct(tokens[at + 1], ".") && isName(second)) return { database: first, name: second, next: at + 3 };
  return { name: first, next: at + 1 };
}

/** One table expression and whether an alias follows it. */
function tableExpression(structure: Structure, at: number, context: TableContext, found: StatementTables): void {
  const { tokens, match } = structure;
  let next: number;
  let reference: TableReference | undefined;

  if (isPunct(tokens[at], "(")) {
    if (match[at]! < 0) return;
    next = match[at]! + 1;
  } else {
    const q = qualifiedName(tokens, at);
    if (!q) return;
    const startTok = q.database ?? q.name;
    next = q.next;
    if (isPunct(tokens[next], "(")) {
      const fn: TableFunctionReference = { name: nameOf(q.name), start: startTok.start, end: q.name.end };
      if (q.database) fn.database = nameOf(q.database);
      found.tableFunctions.push(fn);
      if (match[next]! < 0) return;
      next = match[next]! + 1;
    } else if (q.database || !isLocal(structure, found.localNames, nameOf(q.name), at)) {
      reference = { name: nameOf(q.name), start: startTok.start, end: q.name.end, context, hasAlias: false };
      if (q.database) reference.database = nameOf(q.database);
      found.tables.push(reference);
    }
  }
  if (context === "describe") return;

  const alias = aliasAt(tokens, next);
  if (alias > next && reference) reference.hasAlias = true;
}

/** Words that end a FROM clause at its own bracket level. */
const FROM_CLAUSE_END = new Set([
  "WHERE", "PREWHERE", "GROUP", "ORDER", "LIMIT", "HAVING", "SETTINGS", "FORMAT", "UNION", "INTERSECT",
  "EXCEPT", "WINDOW", "QUALIFY", "SELECT", "INTO",
]);

/**
 * Commas in a FROM clause that start another table. ClickHouse accepts a
 * comma join after a table, an alias, FINAL, SAMPLE, an ON condition and a
 * bracketed USING list; commas of an ARRAY JOIN list or a bare `USING a, b`
 * separate columns instead.
 */
function commaJoins({ tokens, match, parent }: Structure, from: number): number[] {
  const level = parent[from];
  const commas: number[] = [];
  let columnList = false;
  let i = from + 1;
  while (i < tokens.length && parent[i] === level) {
    const t = tokens[i]!;
    if (t.kind === "identifier") {
      const word = t.text.toUpperCase();
      if (FROM_CLAUSE_END.has(word)) break;
      if (word === "JOIN") columnList = isKeyword(tokens[i - 1], "ARRAY");
      else if (word === "USING") columnList = !isPunct(tokens[i + 1], "(");
      else if (word === "ON") columnList = false;
    } else if (isPunct(t, ",")) {
      if (!columnList) commas.push(i);
    } else if (isPunct(t, ";")) {
      break;
    }
    i = (t.text === "(" || t.text === "[") && match[i]! > i ? match[i]! + 1 : i + 1;
  }
  return commas;
}

/** Returns the index after an alias at `at`, or `at` when there is none. */
function aliasAt(tokens: Token[], at: number): number {
  const t = tokens[at];
  if (isKeyword(t, "AS") && isName(tokens[at + 1])) return at + 2;
  if (t?.kind === "quoted_identifier") return at + 1;
  if (t?.kind === "identifier" && !NOT_AN_ALIAS.has(t.text.toUpperCase())) return at + 1;
  return at;
}

function isLocal({ match }: Structure, locals: readonly LocalName[], name: string, at: number): boolean {
  return locals.some((l) => l.name === name && at > l.after && (l.group < 0 || (at > l.group && at < match[l.group]!)));
}

/** `in(x, t)`, `globalNotIn(x, db.t)`: a bare name as the whole second argument. */
function inFunctionTarget(structure: Structure, open: number, found: StatementTables): void {
  const { tokens, parent } = structure;
  const comma = tokens.findIndex((t, i) => i > open && parent[i] === open && isPunct(t, ","));
  if (comma < 0) return;
  const q = qualifiedName(tokens, comma + 1);
  if (q && isPunct(tokens[q.next], ")") && structure.match[q.next] === open) inTarget(structure, comma + 1, found);
}

/** `joinGet('db.t', 'col', key)`: the string names a table. */
function stringTableArgument({ tokens }: Structure, open: number, found: StatementTables): void {
  const arg = tokens[open + 1];
  if (arg?.kind !== "string" || arg.value === undefined) return;
  const dot = arg.value.indexOf(".");
  const reference: TableReference = {
    name: dot < 0 ? arg.value : arg.value.slice(dot + 1),
    start: arg.start,
    end: arg.end,
    context: "string",
    hasAlias: false,
  };
  if (dot >= 0) reference.database = arg.value.slice(0, dot);
  found.tables.push(reference);
}

/** `x IN t`, `x IN db.t`; `IN (…)` and `IN tuple(…)` are not table names. */
function inTarget(structure: Structure, at: number, found: StatementTables): void {
  const { tokens } = structure;
  const q = qualifiedName(tokens, at);
  if (!q || isPunct(tokens[q.next], "(")) return;
  if (!q.database && isLocal(structure, found.localNames, nameOf(q.name), at)) return;
  const startTok = q.database ?? q.name;
  const reference: TableReference = { name: nameOf(q.name), start: startTok.start, end: q.name.end, context: "in", hasAlias: false };
  if (q.database) reference.database = nameOf(q.database);
  found.tables.push(reference);
}

/**
 * Names bound by every WITH clause in the statement: `name AS (subquery)`
 * and `expression AS name`. A name is visible after its WITH, inside the
 * bracket group holding that WITH (nested subqueries and later UNION
 * branches included, as ClickHouse's default `enable_global_with_statement`
 * does). Outside that group the same name is a table again, so a CTE in one
 * subquery cannot hide a real table elsewhere.
 */
function collectWithNames(structure: Structure): LocalName[] {
  const { tokens, match, parent } = structure;
  const names: LocalName[] = [];
  tokens.forEach((token, w) => {
    if (!isKeyword(token, "WITH")) return;
    const after = tokens[w + 1];
    if (after?.kind === "identifier" && WITH_MODIFIERS.has(after.text.toUpperCase())) return;
    let i = isKeyword(after, "RECURSIVE") ? w + 2 : w + 1;
    const level = parent[w];
    while (i < tokens.length) {
      const head = tokens[i];
      if (isName(head) && isKeyword(tokens[i + 1], "AS") && isPunct(tokens[i + 2], "(")) {
        names.push({ name: nameOf(head), after: w, group: parent[w]! });
        const close = match[i + 2]!;
        if (close < 0) return;
        i = close + 1;
      } else {
        // `expression AS alias`: the last AS at this level names it.
        let alias: string | undefined;
        while (i < tokens.length && parent[i] === level && !isPunct(tokens[i], ",") && !isKeyword(tokens[i], "SELECT")) {
          const t = tokens[i]!;
          if (isKeyword(t, "AS") && isName(tokens[i + 1])) alias = nameOf(tokens[i + 1]!);
          i = (t.text === "(" || t.text === "[") && match[i]! > i ? match[i]! + 1 : i + 1;
        }
        if (alias !== undefined) names.push({ name: alias, after: w, group: parent[w]! });
      }
      if (!isPunct(tokens[i], ",") || parent[i] !== level) return;
      i++;
    }
  });
  return names;
}
