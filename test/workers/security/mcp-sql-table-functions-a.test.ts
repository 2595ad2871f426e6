// Security suite through MCP execute_query: every table function that reaches outside (half a), with every token kind.
import { SQL_ATTEMPTS } from "./corpus.js";
import { mcpSecurityWorkspaces, mcpSqlAttempts } from "./mcp-harness.js";

const all = SQL_ATTEMPTS["table-functions"];
mcpSecurityWorkspaces("table_functions_a");
mcpSqlAttempts("Table functions, half a", all.slice(0, Math.ceil(all.length / 2)));
