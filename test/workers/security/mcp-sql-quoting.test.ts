// Security suite through MCP execute_query: quotes, comments, heredocs, CTE and alias shadowing, nested subqueries, with every token kind.
import { SQL_ATTEMPTS } from "./corpus.js";
import { mcpSecurityWorkspaces, mcpSqlAttempts } from "./mcp-harness.js";

mcpSecurityWorkspaces("sql_quoting");
mcpSqlAttempts("Quotes, comments, heredocs, CTE and alias shadowing, nested subqueries", SQL_ATTEMPTS["quoting"]);
