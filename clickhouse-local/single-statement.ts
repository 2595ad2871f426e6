/**
 * One request, one statement — as ClickHouse's HTTP interface allows. chDB
 * itself runs every `;`-separated statement of a text, so a request that holds
 * a second statement is refused here, before anything runs, with the error
 * ClickHouse gives: `Syntax error (Multi-statements are not allowed)`.
 *
 * The decision is the engine's (see parser.ts):
 * - statement text: `formatQuerySingleLine` fails on a second statement;
 * - INSERT data is opaque to that parser, and chDB runs what follows a `;` in
 *   data of the `Values` format (only that format: JSONEachRow, CSV, TSV, …
 *   data is read to its end and never split — checked on chDB 26.7, see
 *   test/node/clickhouse-local/multi-statement.test.ts). So for Values data the
 *   engine's lexer (`tokenizeQuery`) must find nothing but whitespace and
 *   comments after the first `;`.
 * Texts without a `;` byte cannot hold two statements and skip all of this.
 */
import type { Statement } from "./statement.js";
import { ClickHouseException, Codes } from "./errors.js";
import type { EngineParser } from "./parser.js";

/** A body that is an INSERT followed by data: the head is enough to read the statement. */
const INSERT_HEAD_BYTES = 256 * 1024;

const SEMICOLON = 0x3b;

export function multiStatementError(text: string, byteOffset: number): ClickHouseException {
  const rest = Buffer.from(text, "utf8").subarray(byteOffset, byteOffset + 120).toString("utf8");
  return new ClickHouseException(
    Codes.SYNTAX_ERROR,
    `Syntax error (Multi-statements are not allowed): failed at position ${byteOffset + 1} (end of query): ${rest}. `,
  );
}

/** `INSERT … FORMAT Values` (also written `INSERT … VALUES`), in canonical form. */
function isValuesInsert(canonical: string): boolean {
  return /^INSERT INTO .* FORMAT Values$/.test(canonical);
}

/** Refuses Values data followed by anything but whitespace and comments after a `;`. */
async function assertValuesEndAtSemicolon(parser: EngineParser, text: string): Promise<void> {
  const tokens = await parser.tokens(text);
  const semicolon = tokens.findIndex((t) => t.type === "Semicolon");
  if (semicolon < 0) return;
  const after = tokens.slice(semicolon + 1).find((t) => t.type !== "Whitespace" && t.type !== "Comment");
  if (after) throw multiStatementError(text, tokens[semicolon]!.begin);
}

/**
 * Throws the engine's syntax error when the request holds more than one
 * statement. Returns the canonical form when it had to be computed (the text
 * holds a `;`), so callers need not ask again.
 */
export async function assertSingleStatement(parser: EngineParser, stmt: Statement): Promise<string | undefined> {
  if (stmt.kind !== "insert") {
    return stmt.sql.includes(";") ? parser.canonical(stmt.sql) : undefined;
  }
  const data = stmt.data ?? Buffer.alloc(0);
  const dataHasSemicolon = data.includes(SEMICOLON);
  if (stmt.sql !== "") {
    // Query in the URL, data in the body.
    if (!stmt.sql.includes(";") && !dataHasSemicolon) return undefined;
    const canonical = await parser.canonical(stmt.sql);
    if (isValuesInsert(canonical)) await assertValuesEndAtSemicolon(parser, data.length > 0 ? `${stmt.sql}\n${data.toString("utf8")}` : stmt.sql);
    return canonical;
  }
  // The body is the statement, followed by its data.
  if (!dataHasSemicolon) return undefined;
  const truncated = data.length > INSERT_HEAD_BYTES;
  const head = data.subarray(0, INSERT_HEAD_BYTES).toString("utf8");
  let canonical: string;
  try {
    canonical = await parser.canonical(head);
  } catch (e) {
    if (!truncated) throw e;
    return parser.canonical(data.toString("utf8"));
  }
  if (isValuesInsert(canonical)) {
    await assertValuesEndAtSemicolon(parser, data.toString("utf8"));
    return canonical;
  }
  if (truncated && (await insertsSelect(parser, canonical))) {
    // The head parsed, but an INSERT … SELECT may continue past it.
    return parser.canonical(data.toString("utf8"));
  }
  return canonical;
}

/** Whether a (canonical, data-free) INSERT takes its rows from a SELECT rather than from data. */
async function insertsSelect(parser: EngineParser, canonical: string): Promise<boolean> {
  try {
    return /^ SelectWithUnionQuery\b/m.test(await parser.explainAst(canonical));
  } catch {
    // Unbound query parameters, for one: assume the worst and read the whole text.
    return true;
  }
}
