// Security suite: every table function that reaches outside (half b), with every token kind at /v0/sql and q=.
import { SQL_ATTEMPTS } from "./corpus.js";
import { securityWorkspaces, sqlAttempts } from "./harness.js";

const all = SQL_ATTEMPTS["table-functions"];
securityWorkspaces("table_functions_b");
sqlAttempts("Table functions, half b", all.slice(Math.ceil(all.length / 2)));
