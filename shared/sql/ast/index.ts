export { parseExplainAst, walk, type AstNode, type ParseAstResult } from "./explain-ast.js";
