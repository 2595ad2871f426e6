/**
 * Whether two parses (`EXPLAIN AST`) are the same statement but for the values
 * of their literals: the read guard reuses a verdict across renders of one
 * template shape only when ClickHouse's parse of the first render and of a
 * hostile probe render agree this way. A literal the guard itself reads
 * (`joinGet`'s table name) must be equal too: it decides what is touched.
 *
 * @module
 */
import type { AstNode } from "../ast/index.js";

const STRING_TABLE_FUNCTIONS = new Set(["joinGet", "joinGetOrNull"]);

/** How a node is compared: as usual, its own literal value must match too, or its first child's must (a table-reading function's arguments). */
type Mode = "plain" | "exact" | "firstExact";

export function sameButLiterals(a: AstNode, b: AstNode): boolean {
  // Iterative: a deep query must not overflow the stack.
  const stack: Array<[AstNode, AstNode, Mode]> = [[a, b, "plain"]];
  while (stack.length > 0) {
    const [x, y, mode] = stack.pop()!;
    if (x.type !== y.type || x.alias !== y.alias || x.children.length !== y.children.length) return false;
    if ((x.type !== "Literal" || mode === "exact") && x.name !== y.name) return false;
    const readsTableName = x.type === "Function" && STRING_TABLE_FUNCTIONS.has(x.name ?? "");
    for (let i = 0; i < x.children.length; i++) {
      const child: Mode = mode === "firstExact" && i === 0 ? "exact" : readsTableName && x.children[i]!.type === "ExpressionList" ? "firstExact" : "plain";
      stack.push([x.children[i]!, y.children[i]!, child]);
    }
  }
  return true;
}
