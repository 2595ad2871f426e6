// Security suite at the ClickHouse interface: Tables outside the token, named plainly, and statements that are not one read, with every token kind.
import { SQL_ATTEMPTS } from "./corpus.js";
import { securityWorkspaces } from "./harness.js";
import { clickhouseAttempts } from "./clickhouse-harness.js";

securityWorkspaces("ch_sql_tables");
clickhouseAttempts("Tables outside the token, named plainly, and statements that are not one read", [...SQL_ATTEMPTS["tables"], ...SQL_ATTEMPTS["statements"]]);
