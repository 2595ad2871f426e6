/**
 * @module clickhouse/read-guard
 * Every read a caller's SQL reaches ClickHouse through is checked here first,
 * on ClickHouse's own parse of the exact SQL that will run (`EXPLAIN AST`, and
 * `formatQuerySingleLine` to prove no name hides a line break): one read
 * statement, allowlisted functions and table functions, no SETTINGS or INTO
 * OUTFILE, and no table outside the caller's database that the rewriter did
 * not put there (`shared/sql/guard`). Verdicts are cached per isolate by
 * database and SQL text, so a repeated call costs a map lookup; and by the
 * read's *shape* when its caller knows it (an endpoint's render with each
 * parameter value it inserted as a literal marked, `shared/template/shape.ts`),
 * so a new value for the same shape reuses the verdict too. A shape is
 * trusted only once ClickHouse's parse of the read and of a hostile probe
 * render of the same shape (quotes, comment openers and closers, line breaks,
 * other signs and lengths in every literal) are the same tree but for literal values.
 *
 * Reads run in an empty database (`tern_sandbox`): a table named without a
 * database that the tokenizer did not see resolves there and is unknown.
 */
import type { ClickHouseClient } from "@clickhouse/client-web";
import { parseExplainAst, type AstNode } from "../../shared/sql/ast/index.js";
import { checkFormattedNames, checkRead, expectedTables, sameButLiterals, type GuardVerdict } from "../../shared/sql/guard/index.js";
import { fillShape, isLiteralOf, probeLiteral, shapeMarkers } from "../../shared/template/index.js";
import { quoteIdentifier, quoteString } from "../../shared/sql/ddl/index.js";
import { tokenize } from "../../shared/sql/rewrite/index.js";
import { isolateCache } from "../platform/caches.js";
import { BadRequestError, ForbiddenError, type TernError } from "../../shared/errors.js";
import { fromClickHouse } from "./errors.js";

export const SANDBOX_DATABASE = "tern_sandbox";

/**
 * Parse-only calls: nothing runs, so a small budget is plenty. readonly=2: a
 * SETTINGS clause in the explained query may apply to the EXPLAIN itself
 * (harmless) but nothing may write.
 */
const PARSE_SETTINGS = { readonly: "2", max_execution_time: 5 } as const;
/** Longer SQL is checked every time rather than kept as a cache key (platform/caches.ts). */
const verdicts = isolateCache<GuardVerdict>("guardVerdicts");
const canonicals = isolateCache<string>("canonicalSql");
/** Verdicts by database and shape; "unshaped" when the probe showed the shape cannot stand for its renders. */
const shapeVerdicts = isolateCache<GuardVerdict | "unshaped">("guardShapes");

/**
 * A read's shape (`shared/template/shape.ts`): its SQL with each literal the
 * template engine inserted replaced by a marker `'<base><node>_<i>_<Type>'`,
 * and the literals by marker id (`<node>_<i>`).
 */
export interface ReadShape {
  text: string;
  /** The markers' nonce prefix: letters and digits only this isolate knows. */
  base: string;
  literals: Readonly<Record<string, string>>;
}
let sandbox: Promise<void> | undefined;

/** The empty database reads run in (once per isolate). */
export function ensureSandbox(ch: ClickHouseClient): Promise<void> {
  sandbox ??= ch.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(SANDBOX_DATABASE)}` }).then(
    () => undefined,
    (e) => {
      sandbox = undefined;
      throw fromClickHouse(e);
    },
  );
  return sandbox;
}

async function rows(ch: ClickHouseClient, query: string): Promise<string[]> {
  try {
    const rs = await ch.query({ query, format: "JSONCompactEachRow", clickhouse_settings: PARSE_SETTINGS });
    return ((await rs.json()) as unknown[][]).map((r) => String(r[0]));
  } catch (e) {
    throw fromClickHouse(e);
  }
}

/**
 * `EXPLAIN AST` output as text. A FORMAT clause after an EXPLAIN belongs to the
 * explained query, so the output format is set with `default_format` instead;
 * raw TSV is the dump byte for byte (names with line breaks are refused before
 * the dump is read).
 */
async function explainAst(ch: ClickHouseClient, sql: string, params: Record<string, string>): Promise<string> {
  // Query parameters are substituted into the dump (raw `param_<name>`, as the read sends them).
  const paramSettings = Object.fromEntries(Object.entries(params).map(([k, v]) => [`param_${k}`, v]));
  try {
    const rs = await ch.exec({ query: `EXPLAIN AST ${sql}`, clickhouse_settings: { ...paramSettings, ...PARSE_SETTINGS, default_format: "TabSeparatedRaw" } });
    return await new Response(rs.stream as ReadableStream<Uint8Array>).text();
  } catch (e) {
    throw fromClickHouse(e);
  }
}

function refusal(v: Exclude<GuardVerdict, { ok: true }>): TernError {
  return v.code === "forbidden" ? new ForbiddenError(v.message) : new BadRequestError(v.message);
}

/** ClickHouse's single-line formatting of `sql` (throws the parse error for invalid SQL). */
async function formatted(ch: ClickHouseClient, sql: string): Promise<string> {
  try {
    const [out] = await rows(ch, `SELECT formatQuerySingleLine(${quoteString(sql)})`);
    return out ?? "";
  } catch (e) {
    // The parse error is about the caller's SQL; the wrapper it was parsed in is ours.
    if (e instanceof Error) e.message = e.message.replace(/:? In scope SELECT formatQuerySingleLine\([\s\S]*?\)(?=\. \(|\.?$)/, "");
    throw e;
  }
}

/**
 * User SQL as ClickHouse itself re-prints it: comments dropped, Unicode spaces
 * and typographic quotes normalised, strings and names quoted one way. The
 * tokenizer that rewrites table names then reads text whose every token
 * ClickHouse produced.
 */
export async function canonicalSql(ch: ClickHouseClient, sql: string): Promise<string> {
  const hit = canonicals.get(sql);
  if (hit !== undefined) return hit;
  const out = await formatted(ch, sql);
  canonicals.set(sql, out);
  return out;
}

/** Where a verdict came from: kept for this SQL, kept for its shape, or ClickHouse's parse just now. */
export type VerdictSource = "sql" | "shape" | "parsed";

/**
 * Throws a 400/403 TernError unless ClickHouse's parse of `sql` shows a read
 * confined to `database`. With `shape`, the verdict is looked up (and kept) by
 * shape when `sql` is exactly that shape filled with its literals.
 */
export async function guardRead(ch: ClickHouseClient, sql: string, database: string, params?: Record<string, string>, shape?: ReadShape): Promise<VerdictSource> {
  const bound = params !== undefined && Object.keys(params).length > 0;
  // Query parameters are part of what is parsed: an `Identifier` parameter names a table.
  const key = bound ? `${database}\u0000${JSON.stringify(params)}\u0000${sql}` : `${database}\u0000${sql}`;
  let verdict = verdicts.get(key);
  let source: VerdictSource = "sql";
  if (!verdict && shape && !bound && fitsShape(sql, shape)) {
    const shapeKey = `${database}\u0000${shape.text}`;
    const known = shapeVerdicts.get(shapeKey);
    if (known !== undefined && known !== "unshaped") {
      verdict = known;
      source = "shape";
    } else if (known === undefined) {
      const decided = await decideShape(ch, sql, database, shape);
      shapeVerdicts.set(shapeKey, decided.shaped ? decided.verdict : "unshaped");
      verdict = decided.verdict;
      source = "parsed";
      if (!decided.shaped) verdicts.set(key, verdict);
    }
  }
  if (!verdict) {
    verdict = (await decide(ch, sql, database, params ?? {})).verdict;
    source = "parsed";
    verdicts.set(key, verdict);
  }
  if (!verdict.ok) throw refusal(verdict);
  return source;
}

/** `sql` is `shape` with each marker replaced by its literal, and each literal is one of its marker's type. */
function fitsShape(sql: string, shape: ReadShape): boolean {
  const filled = fillShape(shape.text, shape.base, (id, type) => {
    const literal = shape.literals[id];
    return literal !== undefined && isLiteralOf(type, literal) ? literal : undefined;
  });
  return filled === sql;
}

/**
 * The verdict of `sql`, and whether it holds for every render of its shape:
 * each marker is a whole string token of the shape (not inside a comment, a
 * string or a heredoc), and ClickHouse parses a hostile probe render of the
 * shape into the same tree as `sql` but for literal values.
 */
async function decideShape(ch: ClickHouseClient, sql: string, database: string, shape: ReadShape): Promise<{ verdict: GuardVerdict; shaped: boolean }> {
  let probe = standaloneMarkers(shape)
    ? fillShape(shape.text, shape.base, (id, type) => probeLiteral(type, shape.literals[id] ?? ""))
    : undefined;
  // The probe goes to ClickHouse too: under the same rule as any read, never a second statement.
  if (probe !== undefined && multiStatement(probe)) probe = undefined;
  const [decided, probed] = await Promise.all([
    decide(ch, sql, database, {}),
    probe === undefined ? undefined : explainAst(ch, probe, {}).then((dump) => parseExplainAst(dump), () => undefined),
  ]);
  const shaped = decided.root !== undefined && probed?.ok === true && sameButLiterals(decided.root, probed.root);
  return { verdict: decided.verdict, shaped };
}

function multiStatement(sql: string): boolean {
  return tokenize(sql).tokens.some((t) => t.kind === "punctuation" && t.text === ";");
}

function standaloneMarkers(shape: ReadShape): boolean {
  const markers = [...shape.text.matchAll(shapeMarkers(shape.base))].length;
  const { tokens, error } = tokenize(shape.text);
  if (error) return false;
  const whole = new RegExp(`^${shapeMarkers(shape.base).source}$`);
  return tokens.filter((t) => t.kind === "string" && whole.test(t.text)).length === markers;
}

async function decide(ch: ClickHouseClient, sql: string, database: string, params: Record<string, string>): Promise<{ verdict: GuardVerdict; root?: AstNode }> {
  // Never hand ClickHouse a second statement, not even behind EXPLAIN: an engine
  // that runs several statements per request would run it (a url() read is
  // not stopped by readonly). ClickHouse's own parse then confirms one statement.
  if (multiStatement(sql)) {
    return { verdict: { ok: false, code: "not_read_only", message: "Multi-statements are not allowed" } };
  }
  const expected = expectedTables(sql);
  if (!expected) return { verdict: { ok: false, code: "unverifiable", message: "The query could not be checked: it does not tokenize as ClickHouse SQL" } };
  const [dump, format] = await Promise.all([explainAst(ch, sql, params), formatted(ch, sql)]);
  const names = checkFormattedNames(format);
  if (!names.ok) return { verdict: { ok: false, code: "unverifiable", message: names.message } };
  const parsed = parseExplainAst(dump);
  if (!parsed.ok) return { verdict: { ok: false, code: "unverifiable", message: `The query could not be checked: ${parsed.error}` } };
  return { verdict: checkRead(parsed.root, { database, expectedTables: expected }), root: parsed.root };
}
