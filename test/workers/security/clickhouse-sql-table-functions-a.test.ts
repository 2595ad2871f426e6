// Security suite at the ClickHouse interface: every table function that reaches outside (half a), with every token kind.
import { SQL_ATTEMPTS } from "./corpus.js";
import { securityWorkspaces } from "./harness.js";
import { clickhouseAttempts } from "./clickhouse-harness.js";

const all = SQL_ATTEMPTS["table-functions"];
securityWorkspaces("ch_table_functions_a");
clickhouseAttempts("Table functions, half a", all.slice(0, Math.ceil(all.length / 2)));
