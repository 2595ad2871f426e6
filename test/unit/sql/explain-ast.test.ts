// parseExplainAst: ClickHouse's EXPLAIN AST dump read strictly (dumps as the chDB 26.7 engine prints them).
import { describe, expect, it } from "vitest";
import { parseExplainAst } from "../../../shared/sql/ast/index.js";

const SELECT_COUNT = `SelectWithUnionQuery (children 1)
 ExpressionList (children 1)
  SelectQuery (children 2)
   ExpressionList (children 1)
    Function count (alias c) (children 1)
     ExpressionList
   TablesInSelectQuery (children 1)
    TablesInSelectQueryElement (children 1)
     TableExpression (children 1)
      TableIdentifier db.t (alias x)
`;

describe("parseExplainAst", () => {
  it("reads types, names, aliases and children", () => {
    const parsed = parseExplainAst(SELECT_COUNT);
    expect(parsed).toEqual({
      ok: true,
      root: {
        type: "SelectWithUnionQuery",
        children: [
          {
            type: "ExpressionList",
            children: [
              {
                type: "SelectQuery",
                children: [
                  {
                    type: "ExpressionList",
                    children: [{ type: "Function", name: "count", alias: "c", children: [{ type: "ExpressionList", children: [] }] }],
                  },
                  {
                    type: "TablesInSelectQuery",
                    children: [
                      {
                        type: "TablesInSelectQueryElement",
                        children: [{ type: "TableExpression", children: [{ type: "TableIdentifier", name: "db.t", alias: "x", children: [] }] }],
                      },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      },
    });
  });

  it.each([
    ["an empty dump", "", "empty EXPLAIN AST output"],
    ["a second statement", "Literal UInt64_1\nLiteral UInt64_2\n", "the EXPLAIN AST output holds more than one statement"],
    ["fewer children than announced", "Function f (children 1)\n", "the EXPLAIN AST output ends inside a node"],
    ["a child at the wrong depth", "Function f (children 1)\n  Literal UInt64_1\n", "EXPLAIN AST line 2 is not where its parent announced it"],
    ["more lines than the tree holds (a name with a line break)", "Identifier a\n Identifier b\n", "the EXPLAIN AST output holds more than one statement"],
    ["a line that is not a node", "SelectQuery (children 1)\n )(\n", "unreadable EXPLAIN AST line 2"],
    ["a root that is indented", " Literal UInt64_1\n", "the EXPLAIN AST output does not start at the root"],
  ])("refuses %s", (_what, dump, error) => {
    expect(parseExplainAst(dump)).toEqual({ ok: false, error });
  });

  it("reads node types that hold a space (Columns definition)", () => {
    const parsed = parseExplainAst("CreateQuery db t (children 1)\n Columns definition (children 1)\n  ExpressionList\n");
    expect(parsed.ok && parsed.root.children[0]).toEqual({ type: "Columns", name: "definition", children: [{ type: "ExpressionList", children: [] }] });
  });

  it("reads a deep tree without recursion", () => {
    const depth = 20_000;
    const dump = Array.from({ length: depth }, (_, i) => `${" ".repeat(i)}Function f (children 1)`).join("\n") + `\n${" ".repeat(depth)}Literal UInt64_1\n`;
    expect(parseExplainAst(dump).ok).toBe(true);
  });
});
