// Security suite: every table function that reaches outside (half a), with every token kind at /v0/sql and q=.
import { SQL_ATTEMPTS } from "./corpus.js";
import { securityWorkspaces, sqlAttempts } from "./harness.js";

const all = SQL_ATTEMPTS["table-functions"];
securityWorkspaces("table_functions_a");
sqlAttempts("Table functions, half a", all.slice(0, Math.ceil(all.length / 2)));
