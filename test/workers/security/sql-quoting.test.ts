// Security suite: quotes, comments, heredocs, cte and alias shadowing, nested subqueries, with every token kind at /v0/sql and q=.
import { SQL_ATTEMPTS } from "./corpus.js";
import { securityWorkspaces, sqlAttempts } from "./harness.js";

securityWorkspaces("sql_quoting");
sqlAttempts("Quotes, comments, heredocs, CTE and alias shadowing, nested subqueries", SQL_ATTEMPTS["quoting"]);
