// Security suite at the ClickHouse interface: Functions that read files, the network, dictionaries or other tables, with every token kind.
import { SQL_ATTEMPTS } from "./corpus.js";
import { securityWorkspaces } from "./harness.js";
import { clickhouseAttempts } from "./clickhouse-harness.js";

securityWorkspaces("ch_sql_functions");
clickhouseAttempts("Functions that read files, the network, dictionaries or other tables", SQL_ATTEMPTS["functions"]);
