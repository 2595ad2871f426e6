// Security suite through MCP execute_query: tables outside the token, named plainly, and statements that are not one read, with every token kind.
import { SQL_ATTEMPTS } from "./corpus.js";
import { mcpSecurityWorkspaces, mcpSqlAttempts } from "./mcp-harness.js";

mcpSecurityWorkspaces("sql_tables");
mcpSqlAttempts("Tables outside the token, named plainly, and statements that are not one read", [...SQL_ATTEMPTS["tables"], ...SQL_ATTEMPTS["statements"]]);
