/**
 * ClickHouse exceptions as the HTTP interface shows them: the
 * `Code: N. DB::Exception: … (TYPE) (version X)` body, the
 * `X-ClickHouse-Exception-Code` header, and the HTTP status ClickHouse derives
 * from the exception code (src/Server/HTTP/exceptionCodeToHTTPStatus.cpp).
 */

/** Codes this server raises itself (values as in ClickHouse's ErrorCodes.cpp). */
export const Codes = {
  BAD_ARGUMENTS: 36,
  SYNTAX_ERROR: 62,
  UNKNOWN_FORMAT: 73,
  READONLY: 164,
  UNKNOWN_USER: 192,
  WRONG_PASSWORD: 193,
  REQUIRED_PASSWORD: 194,
  QUERY_WAS_CANCELLED: 394,
  HTTP_LENGTH_REQUIRED: 381,
  UNKNOWN_QUERY_PARAMETER: 456,
  AUTHENTICATION_FAILED: 516,
  QUERY_IS_TOO_LARGE: 229,
  UNKNOWN_COMPRESSION_METHOD: 89,
  CANNOT_DECOMPRESS: 271,
  NOT_IMPLEMENTED: 48,
  LOGICAL_ERROR: 49,
  TIMEOUT_EXCEEDED: 159,
  CANNOT_SCHEDULE_TASK: 439,
  UNSUPPORTED_METHOD: 1,
  INCORRECT_DATA: 117,
  UNKNOWN_SETTING: 115,
  THERE_IS_NO_PROFILE: 180,
  UNKNOWN_QUOTA: 199,
  QUOTA_EXCEEDED: 201,
  TOO_MANY_SIMULTANEOUS_QUERIES: 202,
  SETTING_CONSTRAINT_VIOLATION: 452,
  ACCESS_ENTITY_ALREADY_EXISTS: 493,
  ACCESS_DENIED: 497,
} as const;

const NAMES = new Map<number, string>(Object.entries(Codes).map(([name, code]) => [code, name]));

const FORBIDDEN = new Set(["UNKNOWN_USER", "WRONG_PASSWORD", "AUTHENTICATION_FAILED", "SET_NON_GRANTED_ROLE", "ACCESS_DENIED"]);
const BAD_REQUEST = new Set([
  "BAD_ARGUMENTS",
  "CANNOT_COMPILE_REGEXP",
  "CANNOT_PARSE_TEXT",
  "CANNOT_PARSE_ESCAPE_SEQUENCE",
  "CANNOT_PARSE_QUOTED_STRING",
  "CANNOT_PARSE_DATE",
  "CANNOT_PARSE_DATETIME",
  "CANNOT_PARSE_NUMBER",
  "CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING",
  "CANNOT_PARSE_IPV4",
  "CANNOT_PARSE_IPV6",
  "CANNOT_PARSE_INPUT_ASSERTION_FAILED",
  "CANNOT_PARSE_UUID",
  "DUPLICATE_COLUMN",
  "ILLEGAL_COLUMN",
  "UNKNOWN_ELEMENT_IN_AST",
  "UNKNOWN_TYPE_OF_AST_NODE",
  "THERE_IS_NO_COLUMN",
  "TOO_DEEP_AST",
  "TOO_BIG_AST",
  "UNEXPECTED_AST_STRUCTURE",
  "SYNTAX_ERROR",
  "INCORRECT_DATA",
  "TYPE_MISMATCH",
  "VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE",
]);
const NOT_FOUND = new Set([
  "UNKNOWN_TABLE",
  "UNKNOWN_FUNCTION",
  "UNKNOWN_IDENTIFIER",
  "UNKNOWN_TYPE",
  "UNKNOWN_STORAGE",
  "UNKNOWN_DATABASE",
  "UNKNOWN_SETTING",
  "UNKNOWN_DIRECTION_OF_SORTING",
  "UNKNOWN_AGGREGATE_FUNCTION",
  "UNKNOWN_FORMAT",
  "UNKNOWN_DATABASE_ENGINE",
  "UNKNOWN_TYPE_OF_QUERY",
  "UNKNOWN_ROLE",
]);
const OTHER: Record<string, number> = {
  REQUIRED_PASSWORD: 401,
  QUERY_IS_TOO_LARGE: 413,
  NOT_IMPLEMENTED: 501,
  SOCKET_TIMEOUT: 503,
  CANNOT_OPEN_FILE: 503,
  HTTP_LENGTH_REQUIRED: 411,
  TIMEOUT_EXCEEDED: 408,
  CANNOT_SCHEDULE_TASK: 503,
  UNSUPPORTED_MEDIA_TYPE: 415,
};

/** HTTP status for an exception, keyed by its ClickHouse error name. */
export function httpStatusFor(typeName: string): number {
  if (FORBIDDEN.has(typeName)) return 403;
  if (BAD_REQUEST.has(typeName)) return 400;
  if (NOT_FOUND.has(typeName)) return 404;
  return OTHER[typeName] ?? 500;
}

/** An exception to send to the client. `message` is the text after `DB::Exception: `, without the type. */
export class ClickHouseException extends Error {
  readonly code: number;
  readonly typeName: string;
  /** The full `Code: N. DB::Exception: … (TYPE)` text, without the version suffix. */
  readonly text: string;

  constructor(code: number, message: string, typeName?: string) {
    const name = typeName ?? NAMES.get(code) ?? "UNKNOWN_EXCEPTION";
    const text = `Code: ${code}. DB::Exception: ${message}. (${name})`;
    super(text);
    this.name = "ClickHouseException";
    this.code = code;
    this.typeName = name;
    this.text = text;
  }

  /** Wraps an engine error message as-is (it already has ClickHouse's shape). */
  static fromEngineText(code: number | undefined, engineText: string): ClickHouseException {
    const trimmed = engineText.trim();
    const m = /\(([A-Z0-9_]+)\)\s*$/.exec(trimmed);
    if (code !== undefined && /^Code: \d+\. /.test(trimmed) && m?.[1]) {
      const e = new ClickHouseException(code, "", m[1]);
      Object.defineProperty(e, "text", { value: trimmed });
      e.message = trimmed;
      return e;
    }
    return new ClickHouseException(code ?? Codes.LOGICAL_ERROR, trimmed.replace(/^Code: \d+\. (DB::Exception: )?/, ""));
  }

  get httpStatus(): number {
    return httpStatusFor(this.typeName);
  }

  /** Response body exactly as ClickHouse writes it. */
  body(version: string): string {
    return `${this.text} (version ${version} (official build))\n`;
  }
}

/** Anything thrown while serving a request, as a ClickHouse exception. */
export function toClickHouseException(e: unknown): ClickHouseException {
  if (e instanceof ClickHouseException) return e;
  if (e && typeof e === "object" && "message" in e) {
    const message = String((e as { message: unknown }).message);
    const codeField = (e as { code?: unknown }).code;
    const code = typeof codeField === "number" ? codeField : /^Code:\s*(\d+)\./.exec(message)?.[1];
    return ClickHouseException.fromEngineText(code === undefined ? undefined : Number(code), message);
  }
  return new ClickHouseException(Codes.LOGICAL_ERROR, String(e));
}
