// Security suite through MCP execute_query: unicode spaces where a table name can hide, with every token kind.
import { SQL_ATTEMPTS } from "./corpus.js";
import { mcpSecurityWorkspaces, mcpSqlAttempts } from "./mcp-harness.js";

mcpSecurityWorkspaces("sql_unicode");
mcpSqlAttempts("Unicode spaces where a table name can hide", SQL_ATTEMPTS["unicode"]);
