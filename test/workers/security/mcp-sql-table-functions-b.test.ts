// Security suite through MCP execute_query: every table function that reaches outside (half b), with every token kind.
import { SQL_ATTEMPTS } from "./corpus.js";
import { mcpSecurityWorkspaces, mcpSqlAttempts } from "./mcp-harness.js";

const all = SQL_ATTEMPTS["table-functions"];
mcpSecurityWorkspaces("table_functions_b");
mcpSqlAttempts("Table functions, half b", all.slice(Math.ceil(all.length / 2)));
