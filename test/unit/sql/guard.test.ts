// checkRead on parsed EXPLAIN AST dumps: the rules that need no engine.
import { describe, expect, it } from "vitest";
import { parseExplainAst, type AstNode } from "../../../shared/sql/ast/index.js";
import { checkFormattedNames, checkRead, isAllowedFunction } from "../../../shared/sql/guard/index.js";

function tree(dump: string): AstNode {
  const parsed = parseExplainAst(dump);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.root;
}

const READS_TWICE = tree(`SelectWithUnionQuery (children 1)
 ExpressionList (children 1)
  SelectQuery (children 2)
   ExpressionList (children 1)
    Asterisk
   TablesInSelectQuery (children 2)
    TablesInSelectQueryElement (children 1)
     TableExpression (children 1)
      TableIdentifier ws.events_1 (alias events)
    TablesInSelectQueryElement (children 2)
     TableExpression (children 1)
      TableIdentifier ws.events_1
     TableJoin
`);

const UNSEEN = {
  ok: false,
  code: "unverifiable",
  message: "The query names a table in a way Tern cannot check (unusual spacing, quoting or comments around a table name); write it plainly",
};

describe("checkRead: the tables ClickHouse sees are the ones the rewriter produced", () => {
  it("passes when both lists hold the same names as often", () => {
    expect(checkRead(READS_TWICE, { database: "ws", expectedTables: ["ws.events_1", "ws.events_1"] })).toEqual({ ok: true });
  });

  it("refuses a table the tokenizer did not see (it could not apply the caller's scope or row filter)", () => {
    expect(checkRead(READS_TWICE, { database: "ws", expectedTables: ["ws.events_1"] })).toEqual(UNSEEN);
  });

  it("refuses when the tokenizer saw a table ClickHouse does not (they disagree on what is code)", () => {
    expect(checkRead(READS_TWICE, { database: "ws", expectedTables: ["ws.events_1", "ws.events_1", "ws.users_1"] })).toEqual(UNSEEN);
  });
});

describe("isAllowedFunction", () => {
  it.each([
    ["count", true],
    ["COUNT", true],
    ["sumIf", true],
    ["uniqMergeState", true],
    ["quantilesTimingArrayIf", true],
    ["lambda", true],
    ["toString", true],
    ["constructor", false],
    ["file", false],
    ["FILE", false],
    ["dictGetString", false],
    ["hostName", false],
    ["aiGenerate", false],
    ["fileIf", false],
    ["notARealFunction", false],
  ])("%s → %s", (name, allowed) => {
    expect(isAllowedFunction(name)).toBe(allowed);
  });
});

describe("checkFormattedNames (on ClickHouse's single-line formatting)", () => {
  it.each([
    ["SELECT `a b`, 'x\\ny' FROM t", { ok: true }],
    ["SELECT 'it\\'s' AS `c`", { ok: true }],
    ["SELECT 1 AS `a\\nb`", { ok: false, message: "Names with control characters, backslashes or back-quotes are not allowed" }],
    ["SELECT 1 AS `a\\`b`", { ok: false, message: "Names with control characters, backslashes or back-quotes are not allowed" }],
    ["SELECT 1 AS `a\u2028b`", { ok: false, message: "Names with control characters, backslashes or back-quotes are not allowed" }],
    ["SELECT 'open", { ok: false, message: "The query could not be checked: an unterminated quote in ClickHouse's formatting" }],
  ])("%s", (formatted, expected) => {
    expect(checkFormattedNames(formatted)).toEqual(expected);
  });
});
