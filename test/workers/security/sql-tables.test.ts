// Security suite: tables outside the token, named plainly, and statements that are not one read, with every token kind at /v0/sql and q=.
import { SQL_ATTEMPTS } from "./corpus.js";
import { securityWorkspaces, sqlAttempts } from "./harness.js";

securityWorkspaces("sql_tables");
sqlAttempts("Tables outside the token, named plainly, and statements that are not one read", [...SQL_ATTEMPTS["tables"], ...SQL_ATTEMPTS["statements"]]);
