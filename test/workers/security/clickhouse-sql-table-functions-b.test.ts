// Security suite at the ClickHouse interface: every table function that reaches outside (half b), with every token kind.
import { SQL_ATTEMPTS } from "./corpus.js";
import { securityWorkspaces } from "./harness.js";
import { clickhouseAttempts } from "./clickhouse-harness.js";

const all = SQL_ATTEMPTS["table-functions"];
securityWorkspaces("ch_table_functions_b");
clickhouseAttempts("Table functions, half b", all.slice(Math.ceil(all.length / 2)));
