// Security suite: functions that read files, the network, dictionaries or other tables, with every token kind at /v0/sql and q=.
import { SQL_ATTEMPTS } from "./corpus.js";
import { securityWorkspaces, sqlAttempts } from "./harness.js";

securityWorkspaces("sql_functions");
sqlAttempts("Functions that read files, the network, dictionaries or other tables", SQL_ATTEMPTS["functions"]);
