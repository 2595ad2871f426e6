/**
 * Errors of the SQL layer are values, not exceptions (zod `safeParse` style):
 * a caller that fails the request with one turns it into a TernError once,
 * with `toTernError` (`to-tern-error.ts`), which keeps the value as the cause.
 *
 * @module
 */
export type SqlErrorCode =
  /** Unterminated string/comment, empty query. */
  | "syntax"
  /** `SELECT 1; SELECT 2`. */
  | "multi_statement"
  /** INSERT/CREATE/…, INTO OUTFILE. */
  | "not_read_only"
  /** The resolver knows no such table (HTTP 404 in Tinybird terms, "Resource 'x' not found"). */
  | "not_found"
  /** The resolver refused the name, a table function outside the allow-list, a table other than `_` in `q=`. */
  | "forbidden"
  /** Pipe structure problems: unknown target node, forward reference, self reference. */
  | "pipe";

export interface SqlError {
  code: SqlErrorCode;
  message: string;
  /** Offset in the SQL text the error refers to, when there is one. */
  position?: number;
  /** Node whose SQL caused the error (pipe compilation only). */
  node?: string;
}
