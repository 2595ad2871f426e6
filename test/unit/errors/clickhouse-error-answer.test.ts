// The ClickHouse interface's rendering of the error family: ClickHouse's body, code header and status.
import { describe, expect, it } from "vitest";
import { clickhouseErrorAnswer } from "../../../shared/error-answer.js";
import { BadRequestError, ForbiddenError, InternalError, NotFoundError, QueryTimeoutError, RateLimitedError, UnauthorizedError } from "../../../shared/errors.js";

describe("clickhouseErrorAnswer", () => {
  const cases: Array<[string, unknown, { status: number; code: number; body: string }]> = [
    ["ClickHouse's own refusal keeps its code; 400 by name", new BadRequestError("[Error] Syntax error: failed at position 1", { clickhouse: { code: "62", type: "SYNTAX_ERROR" } }), { status: 400, code: 62, body: "Code: 62. DB::Exception: Syntax error: failed at position 1. (SYNTAX_ERROR)\n" }],
    ["unknown identifier: 404 as ClickHouse answers it", new BadRequestError("[Error] Missing columns: 'x'", { clickhouse: { code: "47", type: "UNKNOWN_IDENTIFIER" } }), { status: 404, code: 47, body: "Code: 47. DB::Exception: Missing columns: 'x'. (UNKNOWN_IDENTIFIER)\n" }],
    ["READONLY is a 500 in ClickHouse", new BadRequestError("Cannot modify 'readonly' setting in readonly mode", { clickhouse: { code: "164", type: "READONLY" } }), { status: 500, code: 164, body: "Code: 164. DB::Exception: Cannot modify 'readonly' setting in readonly mode. (READONLY)\n" }],
    ["a scope refusal: ACCESS_DENIED", new ForbiddenError("Resource 'x' needs the DATASOURCES:READ:x scope"), { status: 403, code: 497, body: "Code: 497. DB::Exception: Resource 'x' needs the DATASOURCES:READ:x scope. (ACCESS_DENIED)\n" }],
    ["unknown table", new NotFoundError("Resource 'x' not found"), { status: 404, code: 60, body: "Code: 60. DB::Exception: Resource 'x' not found. (UNKNOWN_TABLE)\n" }],
    ["no credentials", new UnauthorizedError("A password is required"), { status: 401, code: 194, body: "Code: 194. DB::Exception: A password is required. (REQUIRED_PASSWORD)\n" }],
    ["timeout", new QueryTimeoutError("[Error] too slow"), { status: 408, code: 159, body: "Code: 159. DB::Exception: too slow. (TIMEOUT_EXCEEDED)\n" }],
    ["rate limit", new RateLimitedError("Too many requests", 2), { status: 500, code: 202, body: "Code: 202. DB::Exception: Too many requests. (TOO_MANY_SIMULTANEOUS_QUERIES)\n" }],
    ["upper-case groups before the name are unwrapped (drivers take the first)", new BadRequestError("Only read-only queries (SELECT) are allowed", { clickhouse: { code: "164", type: "READONLY" } }), { status: 500, code: 164, body: "Code: 164. DB::Exception: Only read-only queries SELECT are allowed. (READONLY)\n" }],
    ["a bug: generic message, never the cause", new InternalError("secret detail"), { status: 500, code: 1001, body: "Code: 1001. DB::Exception: Internal server error. (STD_EXCEPTION)\n" }],
    ["not a TernError", new Error("boom"), { status: 500, code: 1001, body: "Code: 1001. DB::Exception: Internal server error. (STD_EXCEPTION)\n" }],
  ];
  it.each(cases)("%s", (_name, error, expected) => {
    const answer = clickhouseErrorAnswer(error);
    expect({ status: answer.status, code: answer.code, body: answer.body }).toEqual(expected);
    expect(answer.headers["X-ClickHouse-Exception-Code"]).toBe(String(expected.code));
  });

  it("keeps Retry-After of a rate limit", () => {
    expect(clickhouseErrorAnswer(new RateLimitedError("slow down", 2.5)).headers["Retry-After"]).toBe("3");
  });
});
