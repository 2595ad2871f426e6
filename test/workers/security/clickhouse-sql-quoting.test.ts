// Security suite at the ClickHouse interface: Quotes, comments, heredocs, CTE and alias shadowing, with every token kind.
import { SQL_ATTEMPTS } from "./corpus.js";
import { securityWorkspaces } from "./harness.js";
import { clickhouseAttempts } from "./clickhouse-harness.js";

securityWorkspaces("ch_sql_quoting");
clickhouseAttempts("Quotes, comments, heredocs, CTE and alias shadowing", SQL_ATTEMPTS["quoting"]);
