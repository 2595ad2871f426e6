/**
 * The attempts the security suite throws: hand-written classes plus generated
 * variants. `{other}` is replaced by another workspace's physical table (it
 * holds the marker OTHER_SECRET), `{own}` by this workspace's physical events
 * table (all tenants, no row filter).
 */

export interface Attempt {
  /** What the attempt tries, as the test's name. */
  name: string;
  sql: string;
  /** A legitimate query: it may answer 200, but only with rows the token may see. */
  confined?: boolean;
}

/** Every Unicode space ClickHouse's lexer skips (probed on the engine; see shared/sql/rewrite/tokenize.ts). */
export const UNICODE_SPACES = [
  "\u0085", "\u00a0", "\u180e", "\u2000", "\u2001", "\u2002", "\u2003", "\u2004", "\u2005", "\u2006", "\u2007", "\u2008",
  "\u2009", "\u200a", "\u200b", "\u200c", "\u200d", "\u2028", "\u2029", "\u202f", "\u205f", "\u2060", "\u3000", "\ufeff",
];

/** Table functions of the engine other than the pure generators the guard allows (system.table_functions, ClickHouse 26.7). */
export const OUTSIDE_TABLE_FUNCTIONS = [
  "SQLStandardValues", "arrowstream", "azureBlobStorage", "azureBlobStorageCluster", "cluster", "clusterAllReplicas", "cosn",
  "deltaLake", "deltaLakeAzure", "deltaLakeAzureCluster", "deltaLakeCluster", "deltaLakeLocal", "deltaLakeS3", "deltaLakeS3Cluster",
  "dictionary", "eval", "executable", "file", "fileCluster", "filesystem", "fuzzJSON", "fuzzQuery", "gcs", "hdfs", "hdfsCluster",
  "hudi", "hudiCluster", "iceberg", "icebergAzure", "icebergAzureCluster", "icebergCluster", "icebergHDFS", "icebergHDFSCluster",
  "icebergLocal", "icebergLocalCluster", "icebergS3", "icebergS3Cluster", "input", "jdbc", "loop", "merge",
  "mergeTreeAnalyzeIndexes", "mergeTreeAnalyzeIndexesUUID", "mergeTreeIndex", "mergeTreeProjection", "mergeTreeTextIndex",
  "mongodb", "mysql", "odbc", "oss", "paimon", "paimonAzure", "paimonAzureCluster", "paimonCluster", "paimonHDFS",
  "paimonHDFSCluster", "paimonLocal", "paimonS3", "paimonS3Cluster", "postgresql", "prometheusQuery", "prometheusQueryRange",
  "redis", "remote", "remoteSecure", "s3", "s3Cluster", "sqlite", "timeSeriesData", "timeSeriesMetrics", "timeSeriesSamples",
  "timeSeriesSelector", "timeSeriesTags", "url", "urlCluster", "viewExplain", "viewIfPermitted", "ytsaurus",
];

const TABLE_FUNCTION_ARGS: Record<string, string> = {
  file: "'/etc/passwd', LineAsString",
  url: "'http://127.0.0.1:1/', CSV, 'a String'",
  remote: "'127.0.0.1', system.one",
  merge: "'.*', '.*'",
  executable: "'ls', TSV, 'a String'",
  dictionary: "'d'",
  input: "'a String'",
  loop: "system.one",
  filesystem: "'/'",
};

export type AttemptGroup = "tables" | "unicode" | "quoting" | "functions" | "table-functions" | "statements";
const groups: Record<AttemptGroup, Attempt[]> = { tables: [], unicode: [], quoting: [], functions: [], "table-functions": [], statements: [] };
let group: AttemptGroup = "tables";
const add = (name: string, sql: string, confined = false) => groups[group].push({ name, sql, ...(confined ? { confined } : {}) });

// Tables outside the token's reach, named plainly.
add("system.tables", "SELECT name FROM system.tables");
add("system.users", "SELECT * FROM system.users");
add("system.processes (other tenants' queries)", "SELECT query FROM system.processes");
add("system.query_log", "SELECT query FROM system.query_log");
add("another workspace's table", "SELECT * FROM {other}");
add("own physical table (no row filter)", "SELECT tenant FROM {own}");
add("the service tables of every workspace", "SELECT * FROM tern_service.pipe_stats_rt");
add("information_schema", "SELECT * FROM information_schema.tables");
add("INFORMATION_SCHEMA upper case", "SELECT * FROM INFORMATION_SCHEMA.TABLES");
add("default database", "SELECT * FROM default.events");

// Unicode spaces in every place a table name can hide.
group = "unicode";
for (const sp of UNICODE_SPACES) {
  const code = `U+${sp.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
  add(`FROM${code}system.tables`, `SELECT name FROM${sp}system.tables`);
  add(`another workspace's table after JOIN${code}`, `SELECT * FROM events AS e JOIN${sp}{other} AS o ON 1`);
}

// Quotes.
group = "quoting";
add("curly-quoted db and table", "SELECT * FROM \u201csystem\u201d.\u201ctables\u201d");
add("curly-quoted other workspace", "SELECT * FROM \u201c{otherdb}\u201d.\u201c{othertable}\u201d");
add("backquoted system.tables", "SELECT * FROM `system`.`tables`");
add("double-quoted system.tables", 'SELECT * FROM "system"."tables"');
add("mixed quotes", 'SELECT * FROM `system`."tables"');
add("one backquoted name holding a dot", "SELECT * FROM `system.tables`");
add("curly single quotes as a string around FROM", "SELECT \u2018x\u2019 FROM system.tables");
add("a curly quote that the tokenizer might think unclosed", "SELECT \u201c FROM system.tables");
add("escaped backquote in a name", "SELECT * FROM `sys\\`tem`.tables");
add("name with a line break forging the AST dump", "SELECT 1 AS `x\n      TableIdentifier events` FROM system.tables");

// Comments.
add("block comment before the table", "SELECT * FROM/**/system.tables");
add("nested block comments", "SELECT * FROM /* /* */ system.tables */ system.tables");
add("line comment then newline", "SELECT * FROM -- x\nsystem.tables");
add("// comment", "SELECT * FROM // x\nsystem.tables");
add("# comment", "SELECT * FROM # x\nsystem.tables");
add("#! comment", "SELECT * FROM #!x\nsystem.tables");
add("comment hiding a quote", "SELECT * FROM events /* ' */ , system.tables /* ' */");
add("a comment opener inside a string", "SELECT '/*', * FROM system.tables WHERE 1 -- */");

// Heredocs.
add("heredoc hiding nothing", "SELECT $$x$$ FROM system.tables");
add("tagged heredoc", "SELECT $tag$ FROM events $tag$ FROM system.tables");
add("unclosed heredoc tag", "SELECT $t FROM system.tables");
add("heredoc holding a quote", "SELECT $$'$$ FROM system.tables WHERE '' = ''");

// CTE and alias shadowing.
add("CTE named like a datasource over system.tables", "WITH events AS (SELECT * FROM system.tables) SELECT * FROM events");
add("CTE over another workspace", "WITH x AS (SELECT * FROM {other}) SELECT * FROM x");
add("alias named system", "SELECT * FROM events AS system WHERE system.tenant != ''", true);
add("CTE named like another datasource over its own rows", "WITH secrets AS (SELECT * FROM events) SELECT * FROM secrets", true);
add("tenant filter bypass with OR", "SELECT tenant FROM events WHERE tenant = 'acme' OR 1 = 1", true);
add("reading the quarantine of its datasource", "SELECT * FROM events_quarantine", true);
add("scalar WITH over system", "WITH (SELECT count() FROM system.tables) AS n SELECT n");
add("CTE shadowing then outer scope reads system", "WITH t AS (SELECT 1) SELECT * FROM (SELECT * FROM t), system.tables");

// Nested subqueries and set operations.
add("three levels deep", "SELECT * FROM (SELECT * FROM (SELECT * FROM (SELECT name FROM system.tables)))");
add("IN subquery", "SELECT * FROM events WHERE tenant IN (SELECT name FROM system.tables)");
add("IN a bare table name", "SELECT * FROM events WHERE tenant IN system.tables");
add("in() function form", "SELECT in(tenant, system.tables) FROM events");
add("scalar subquery", "SELECT (SELECT any(name) FROM system.tables)");
add("UNION ALL", "SELECT tenant FROM events UNION ALL SELECT name FROM system.tables");
add("EXCEPT", "SELECT tenant FROM events EXCEPT SELECT name FROM system.tables");
add("EXISTS subquery", "SELECT EXISTS (SELECT 1 FROM {other})");
add("view() over another workspace", "SELECT * FROM view(SELECT * FROM {other})");
add("JOIN USING another workspace", "SELECT * FROM events JOIN {other} USING (tenant)");
add("ARRAY JOIN then a comma join", "SELECT * FROM events ARRAY JOIN [1] AS a, system.tables");

// Every table function that reaches outside.
group = "table-functions";
for (const fn of OUTSIDE_TABLE_FUNCTIONS) add(`table function ${fn}`, `SELECT * FROM ${fn}(${TABLE_FUNCTION_ARGS[fn] ?? "'x'"})`);
add("table function in a JOIN", "SELECT * FROM events JOIN file('/etc/passwd', LineAsString) AS f ON 1");
add("table function in a subquery", "SELECT * FROM (SELECT * FROM url('http://127.0.0.1:1/', CSV, 'a String'))");
add("db-qualified table function", "SELECT * FROM system.numbers(10)");

// Functions that read files, the network, dictionaries or other tables.
group = "functions";
add("file() scalar", "SELECT file('/etc/passwd')");
add("file() on the environment", "SELECT file('/proc/self/environ')");
add("file() in WHERE", "SELECT * FROM events WHERE file('/etc/passwd') != ''");
add("hasColumnInTable on another workspace", "SELECT hasColumnInTable('{otherdb}', '{othertable}', 'secret')");
add("hasColumnInTable with a host", "SELECT hasColumnInTable('127.0.0.1', '{otherdb}', '{othertable}', 'secret')");
for (const fn of ["dictGet", "dictGetString", "dictGetOrDefault", "dictGetOrNull", "dictHas", "dictGetHierarchy", "dictGetChildren", "dictGetAll"]) {
  add(`dictionary function ${fn}`, `SELECT ${fn}('d', 'a', 1)`);
}
add("joinGet on another workspace", "SELECT joinGet('{other}', 'secret', 1)");
add("joinGet on a computed name", "SELECT joinGet(concat('sys', 'tem.one'), 'dummy', 0)");
for (const fn of [
  "hostName", "FQDN", "getMacro('x')", "getServerSetting('user_files_path')", "getSetting('max_threads')", "authenticatedUser",
  "getClientHTTPHeader('authorization')", "filesystemAvailable", "getOSKernelVersion", "showCertificate", "serverUUID",
  "currentProfiles", "currentRoles", "globalVariable('x')", "catboostEvaluate('/m', 1)", "naiveBayesClassifier('m', 'x')",
  "generateSerialID('x')", "aiGenerate('x')", "addressToLine(1)", "demangle('x')", "regionToName(1)", "logTrace('x')",
]) {
  const call = fn.includes("(") ? fn : `${fn}()`;
  add(`function ${call}`, `SELECT ${call}`);
}
// Session functions are answered as literals (workers/endpoints/session-functions.ts): the plain
// calls answer the workspace's own values; every other shape stays with the guard, which refuses it.
add("currentUser() answered as a literal", "SELECT currentUser(), user(), currentDatabase(), database(), uptime()", true);
add("getSetting of a setting off the allowlist", "SELECT getSetting('user_files_path')");
add("getSetting of a secret-bearing setting", "SELECT getSetting('additional_table_filters')");
add("getSetting of a computed name", "SELECT getSetting(concat('max_', 'execution_time'))");
add("getSettingOrDefault", "SELECT getSettingOrDefault('readonly', 0)");
add("currentUser with an argument", "SELECT currentUser(1)");
add("currentDatabase() naming a table function's database", "SELECT * FROM merge(currentDatabase(), '.*')");
add("currentDatabase() building a joinGet name", "SELECT joinGet(concat(currentDatabase(), '.events'), 'tenant', 1)");
add("currentDatabase() building an identifier", "SELECT hasColumnInTable(currentDatabase(), 'events', 'tenant')");
add("a function the guard has never heard of", "SELECT notAFunctionYet(1)");
add("a denied function in upper case", "SELECT HOSTNAME()");
add("a denied function as an aggregate combinator", "SELECT fileIf('/etc/passwd', 1)");

// SETTINGS and statements that change limits or state.
group = "statements";
for (const s of [
  "max_execution_time = 100000", "readonly = 0", "max_result_bytes = 0", "max_memory_usage = 0", "allow_ddl = 1",
  "max_threads = 1000", "allow_introspection_functions = 1", "enable_global_with_statement = 0",
]) {
  add(`SETTINGS ${s}`, `SELECT count() FROM events SETTINGS ${s}`);
}
add("SETTINGS inside a subquery", "SELECT * FROM (SELECT count() FROM events SETTINGS max_execution_time = 100000)");
add("SET", "SET readonly = 0");
add("INTO OUTFILE", "SELECT * FROM events INTO OUTFILE '/tmp/tern-pwned-outfile'");
add("INTO OUTFILE after UNION", "SELECT 1 UNION ALL SELECT 2 INTO OUTFILE '/tmp/tern-pwned-outfile2'");

// Several statements, DDL and writes.
add("two statements", "SELECT 1; DROP TABLE {other}");
add("two statements after a Unicode space", "SELECT 1;\u00a0DROP TABLE {other}");
add("two statements after a comment", "SELECT 1 /* x */; DROP TABLE {other}");
add("second statement hidden after a heredoc", "SELECT $$;$$; DROP TABLE {other}");
add("DROP", "DROP TABLE {other}");
add("TRUNCATE", "TRUNCATE TABLE {other}");
add("ALTER DELETE", "ALTER TABLE {other} DELETE WHERE 1");
add("INSERT", "INSERT INTO {other} SELECT * FROM {other}");
add("INSERT INTO FUNCTION file", "INSERT INTO FUNCTION file('/tmp/tern-pwned', CSV) SELECT 1");
add("CREATE TABLE", "CREATE TABLE pwned (x UInt8) ENGINE = Memory");
add("SYSTEM", "SYSTEM SHUTDOWN");
add("KILL QUERY", "KILL QUERY WHERE 1");
add("GRANT", "GRANT ALL ON *.* TO default");
add("CREATE USER", "CREATE USER pwned IDENTIFIED BY 'x'");
add("USE another database", "USE system");
add("SHOW TABLES FROM system", "SHOW TABLES FROM system");
add("SHOW CREATE", "SHOW CREATE TABLE {other}");
add("DESCRIBE another workspace", "DESCRIBE TABLE {other}");
add("EXISTS another workspace", "EXISTS TABLE {other}");
add("EXPLAIN reading another workspace", "EXPLAIN SELECT * FROM {other}");
add("EXPLAIN as a subquery", "SELECT * FROM (EXPLAIN SELECT * FROM {other})");
add("WATCH", "WATCH events");
add("OPTIMIZE", "OPTIMIZE TABLE {other} FINAL");

/** The SQL attempts by group (one test file each: the test runtime slows down with every request a file makes). */
export const SQL_ATTEMPTS: Readonly<Record<AttemptGroup, readonly Attempt[]>> = groups;

/** Values for endpoint params that try to escape the template's quoting. */
export const PARAM_ATTEMPTS: readonly Attempt[] = [
  { name: "quote and OR", sql: "' OR 1=1 --" },
  { name: "UNION into system.tables", sql: "acme' UNION ALL SELECT name FROM system.tables --" },
  { name: "backslash-escaped quote", sql: "acme\\' OR tenant = 'globex" },
  { name: "curly quote", sql: "acme\u2019 OR tenant = \u2018globex" },
  { name: "doubled quote", sql: "acme'' OR ''='" },
  { name: "comment opener", sql: "acme'/*" },
  { name: "null byte", sql: "acme\u0000' OR 1=1 --" },
  { name: "Unicode space and second statement", sql: "acme';\u00a0DROP TABLE x; --" },
  { name: "heredoc opener", sql: "$$' OR 1=1 $$" },
  { name: "a file() call", sql: "'||file('/etc/passwd')||'" },
  { name: "template syntax", sql: "{{ columns('a') }}{% raw %}" },
  { name: "a query parameter", sql: "{x:String}" },
  { name: "a very long value", sql: "a".repeat(100_000) },
  { name: "percent signs", sql: "%' OR 1=1 --%" },
  // encodeURIComponent refuses a lone surrogate; the params test sends its would-be UTF-8 bytes (invalid UTF-8).
  { name: "surrogate half", sql: "acme\ud800" },
];

/** Identifiers for column()/symbol() params that try to become SQL. */
export const IDENTIFIER_ATTEMPTS: readonly Attempt[] = [
  { name: "backquote break-out", sql: "pathname` FROM system.tables --" },
  { name: "curly quote break-out", sql: "pathname\u201d FROM system.tables --" },
  { name: "dotted name", sql: "system.tables" },
  { name: "a function call", sql: "file('/etc/passwd')" },
  { name: "a line break", sql: "pathname\nFROM system.tables" },
  { name: "a subquery", sql: "(SELECT name FROM system.tables)" },
];
