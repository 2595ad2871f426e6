// Security suite: unicode spaces where a table name can hide, with every token kind at /v0/sql and q=.
import { SQL_ATTEMPTS } from "./corpus.js";
import { securityWorkspaces, sqlAttempts } from "./harness.js";

securityWorkspaces("sql_unicode");
sqlAttempts("Unicode spaces where a table name can hide", SQL_ATTEMPTS["unicode"]);
