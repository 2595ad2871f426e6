// Security suite at the ClickHouse interface: Every Unicode space ClickHouse skips, with every token kind.
import { SQL_ATTEMPTS } from "./corpus.js";
import { securityWorkspaces } from "./harness.js";
import { clickhouseAttempts } from "./clickhouse-harness.js";

securityWorkspaces("ch_sql_unicode");
clickhouseAttempts("Every Unicode space ClickHouse skips", SQL_ATTEMPTS["unicode"]);
