// Security suite through MCP execute_query: functions that read files, the network, dictionaries or other tables, with every token kind.
import { SQL_ATTEMPTS } from "./corpus.js";
import { mcpSecurityWorkspaces, mcpSqlAttempts } from "./mcp-harness.js";

mcpSecurityWorkspaces("sql_functions");
mcpSqlAttempts("Functions that read files, the network, dictionaries or other tables", SQL_ATTEMPTS["functions"]);
