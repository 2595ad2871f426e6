/**
 * Reads the tree ClickHouse prints for `EXPLAIN AST <query>`: one node per
 * line, indented one space per level, `Type[ name][ (alias a)][ (children n)]`.
 *
 * The guard in `../guard` decides what a query touches from this tree, so the
 * reading is strict: every node must have exactly the children its line
 * announces, at exactly one more level of indentation, and the dump must be
 * one tree (a second statement, or a name that smuggles a line break into the
 * dump, fails here). Names are taken as printed; callers make sure no name in
 * the query holds a control character before trusting them (`../guard/identifiers.ts`).
 *
 * @module
 * @example
 * parseExplainAst("SelectWithUnionQuery (children 1)\n ExpressionList (children 1)\n  SelectQuery (children 1)\n   ExpressionList (children 1)\n    Literal UInt64_1\n");
 * // { ok: true, root: { type: "SelectWithUnionQuery", children: [{ type: "ExpressionList", children: [...] }] } }
 */

export interface AstNode {
  /** `SelectQuery`, `Function`, `TableIdentifier`, `Identifier`, `Literal`, … */
  type: string;
  /** What follows the type: a function or identifier name, a literal's dump, … */
  name?: string;
  alias?: string;
  children: AstNode[];
}

export type ParseAstResult = { ok: true; root: AstNode } | { ok: false; error: string };

interface Line {
  depth: number;
  type: string;
  name?: string;
  alias?: string;
  childCount: number;
}

const CHILDREN = / \(children (\d+)\)$/;
const ALIAS = / \(alias ([^\n]*)\)$/;
const TYPE = /^([A-Za-z][A-Za-z0-9_]*)(?: ([^\n]*))?$/;

function readLine(raw: string): Line | undefined {
  let rest = raw.replace(/^ */, "");
  const depth = raw.length - rest.length;
  let childCount = 0;
  const children = CHILDREN.exec(rest);
  if (children) {
    childCount = Number(children[1]);
    rest = rest.slice(0, children.index);
  }
  let alias: string | undefined;
  const aliased = ALIAS.exec(rest);
  if (aliased) {
    alias = aliased[1];
    rest = rest.slice(0, aliased.index);
  }
  const typed = TYPE.exec(rest);
  if (!typed) return undefined;
  const line: Line = { depth, type: typed[1]!, childCount };
  if (typed[2] !== undefined) line.name = typed[2];
  if (alias !== undefined) line.alias = alias;
  return line;
}

export function parseExplainAst(dump: string): ParseAstResult {
  const rawLines = dump.split("\n");
  while (rawLines.length > 0 && rawLines[rawLines.length - 1] === "") rawLines.pop();
  if (rawLines.length === 0) return { ok: false, error: "empty EXPLAIN AST output" };
  const lines: Line[] = [];
  for (const [i, raw] of rawLines.entries()) {
    const line = readLine(raw);
    if (!line) return { ok: false, error: `unreadable EXPLAIN AST line ${i + 1}` };
    lines.push(line);
  }
  let at = 0;
  // Iterative, so a deeply nested query cannot overflow the stack.
  const root: AstNode = toNode(lines[0]!);
  if (lines[0]!.depth !== 0) return { ok: false, error: "the EXPLAIN AST output does not start at the root" };
  const stack: Array<{ node: AstNode; depth: number; remaining: number }> = [{ node: root, depth: 0, remaining: lines[0]!.childCount }];
  at = 1;
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.remaining === 0) {
      stack.pop();
      continue;
    }
    const line = lines[at];
    if (!line) return { ok: false, error: "the EXPLAIN AST output ends inside a node" };
    if (line.depth !== top.depth + 1) return { ok: false, error: `EXPLAIN AST line ${at + 1} is not where its parent announced it` };
    const node = toNode(line);
    top.node.children.push(node);
    top.remaining--;
    at++;
    stack.push({ node, depth: line.depth, remaining: line.childCount });
  }
  if (at !== lines.length) return { ok: false, error: "the EXPLAIN AST output holds more than one statement" };
  return { ok: true, root };
}

function toNode(line: Line): AstNode {
  const node: AstNode = { type: line.type, children: [] };
  if (line.name !== undefined) node.name = line.name;
  if (line.alias !== undefined) node.alias = line.alias;
  return node;
}

/** Every node of the tree, parents before children (iterative). */
export function* walk(root: AstNode): Generator<{ node: AstNode; parent: AstNode | undefined }> {
  const stack: Array<{ node: AstNode; parent: AstNode | undefined }> = [{ node: root, parent: undefined }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    yield item;
    for (let i = item.node.children.length - 1; i >= 0; i--) stack.push({ node: item.node.children[i]!, parent: item.node });
  }
}
