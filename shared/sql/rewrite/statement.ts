/**
 * Statement classification for the read-only surfaces (`/v0/sql`, endpoint
 * `q=`, the ClickHouse interface): exactly one statement, and of a kind that
 * cannot change data. ClickHouse's own `readonly` setting is the real guard;
 * this check gives a clear error before a query leaves the Worker.
 *
 * @module
 * @example
 * checkReadOnly("SELECT 1");          // { ok: true, kind: "select" }
 * checkReadOnly("DROP TABLE events"); // { ok: false, error: { code: "not_read_only", … } }
 */
import { buildStructure, isKeyword, isPunct, type Structure } from "./structure.js";
import type { SqlError } from "./errors.js";

export type StatementKind =
  | "select"
  | "with"
  | "explain"
  | "show"
  | "describe"
  | "exists"
  | "insert"
  | "create"
  | "alter"
  | "drop"
  | "other"
  | "empty";

const READ_ONLY_KINDS: ReadonlySet<StatementKind> = new Set(["select", "with", "explain", "show", "describe", "exists"]);

/** First keyword → kind. `FROM t SELECT …` is ClickHouse's FROM-first SELECT. */
const LEADING: Record<string, StatementKind> = {
  SELECT: "select",
  FROM: "select",
  WITH: "with",
  EXPLAIN: "explain",
  SHOW: "show",
  DESCRIBE: "describe",
  DESC: "describe",
  EXISTS: "exists",
  INSERT: "insert",
  CREATE: "create",
  ALTER: "alter",
  DROP: "drop",
};

export type StatementCheck = { ok: true; kind: StatementKind } | { ok: false; error: SqlError };

/** Classifies the first statement; never fails on syntax. */
export function classifyStatement(sql: string): StatementKind {
  const built = buildStructure(sql);
  if (!built.ok) return "other";
  return kindOf(built.structure);
}

export function kindOf({ tokens }: Structure): StatementKind {
  // `(SELECT 1) UNION ALL (SELECT 2)` is a valid top-level query.
  let i = 0;
  while (isPunct(tokens[i], "(")) i++;
  const first = tokens[i];
  if (!first) return "empty";
  if (first.kind !== "identifier") return "other";
  return LEADING[first.text.toUpperCase()] ?? "other";
}

/** Index of a `;` that is followed by another statement, or -1. */
export function secondStatementAt({ tokens }: Structure): number {
  const semi = tokens.findIndex((t) => isPunct(t, ";"));
  if (semi < 0) return -1;
  return tokens.slice(semi).some((t) => !isPunct(t, ";")) ? semi : -1;
}

/** Exactly one read-only statement; `SELECT … INTO OUTFILE` is refused too. */
export function checkReadOnly(sql: string): StatementCheck {
  const built = buildStructure(sql);
  if (!built.ok) return { ok: false, error: { code: "syntax", message: built.error.message, position: built.error.position } };
  return checkReadOnlyStructure(built.structure);
}

export function checkReadOnlyStructure(structure: Structure): StatementCheck {
  const kind = kindOf(structure);
  if (kind === "empty") return { ok: false, error: { code: "syntax", message: "Empty query" } };
  const second = secondStatementAt(structure);
  if (second >= 0) {
    return {
      ok: false,
      error: { code: "multi_statement", message: "Multi-statements are not allowed", position: structure.tokens[second]!.start },
    };
  }
  if (!READ_ONLY_KINDS.has(kind)) {
    const word = structure.tokens.find((t) => t.kind === "identifier")?.text.toUpperCase() ?? "";
    return { ok: false, error: { code: "not_read_only", message: `Only read-only queries (SELECT) are allowed, got ${word}`, position: 0 } };
  }
  const { tokens } = structure;
  const outfile = tokens.findIndex((t, i) => isKeyword(t, "INTO") && isKeyword(tokens[i + 1], "OUTFILE"));
  if (outfile >= 0) {
    return { ok: false, error: { code: "not_read_only", message: "INTO OUTFILE is not allowed", position: tokens[outfile]!.start } };
  }
  return { ok: true, kind };
}
