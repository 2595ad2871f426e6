/**
 * Functions user SQL may never call, by why. Everything ClickHouse has that is
 * not here is in `allowed-functions.ts` (generated from the engine by
 * `tools/function-allowlist.ts`); a function the engine adds later is in
 * neither list, so it is refused until someone classifies it. The node test
 * `test/node/sql/function-allowlist.test.ts` fails when the engine has a
 * function in neither list.
 *
 * @module
 */

/** Category of `system.functions` refused as a whole. */
export const DENIED_CATEGORIES: ReadonlyMap<string, string> = new Map(Object.entries({
  AI: "calls an external AI provider over the network",
  Dictionary: "reads a dictionary, which can hold another workspace's data or reach external sources",
  "Embedded Dictionary": "reads the server's embedded dictionaries",
  Introspection: "inspects the server process",
  Internal: "internal to the engine",
}));

/** Single functions refused, with the reason shown in the error. */
export const DENIED_FUNCTIONS: ReadonlyMap<string, string> = new Map(Object.entries({
  // Reach outside the query: files, other tables, the network, coordination.
  file: "reads files on the ClickHouse host",
  hasColumnInTable: "reads another table's schema",
  catboostEvaluate: "loads a model file from the ClickHouse host",
  naiveBayesClassifier: "loads a model from the server configuration",
  naiveBayesClassifierWithProb: "loads a model from the server configuration",
  naiveBayesClassifierWithAllProbs: "loads a model from the server configuration",
  generateSerialID: "writes a counter in the server's Keeper",
  globalVariable: "reads server variables",
  getClientHTTPHeader: "reads the HTTP headers of the request that reached ClickHouse",
  showCertificate: "reads the server's TLS certificate",
  chdb: "reports the embedded engine's build",
  AIClassify: "calls an external AI provider over the network",
  AIExtract: "calls an external AI provider over the network",
  AIGenerate: "calls an external AI provider over the network",
  AITranslate: "calls an external AI provider over the network",
  // Describe the server, its users and its configuration.
  hostName: "reveals the ClickHouse host",
  hostname: "reveals the ClickHouse host",
  FQDN: "reveals the ClickHouse host",
  fullHostName: "reveals the ClickHouse host",
  displayName: "reveals the ClickHouse host",
  getMacro: "reveals the server configuration",
  getServerSetting: "reveals the server configuration",
  getMergeTreeSetting: "reveals the server configuration",
  getSetting: "reveals the query's settings",
  getSettingOrDefault: "reveals the query's settings",
  getServerPort: "reveals the server configuration",
  tcpPort: "reveals the server configuration",
  getOSKernelVersion: "reveals the ClickHouse host",
  filesystemAvailable: "reveals the ClickHouse host's disks",
  filesystemCapacity: "reveals the ClickHouse host's disks",
  filesystemUnreserved: "reveals the ClickHouse host's disks",
  getMaxTableNameLengthForDatabase: "inspects another database",
  serverUUID: "reveals the ClickHouse host",
  buildId: "reveals the server build",
  revision: "reveals the server build",
  uptime: "reveals the server's state",
  zookeeperSessionUptime: "reveals the server's state",
  hasThreadFuzzer: "reveals the server build",
  currentUser: "reveals ClickHouse users",
  current_user: "reveals ClickHouse users",
  user: "reveals ClickHouse users",
  session_user: "reveals ClickHouse users",
  authenticatedUser: "reveals ClickHouse users",
  authUser: "reveals ClickHouse users",
  currentRoles: "reveals ClickHouse roles",
  enabledRoles: "reveals ClickHouse roles",
  defaultRoles: "reveals ClickHouse roles",
  currentProfiles: "reveals ClickHouse settings profiles",
  enabledProfiles: "reveals ClickHouse settings profiles",
  defaultProfiles: "reveals ClickHouse settings profiles",
  transactionID: "reveals the server's transactions",
  transactionLatestSnapshot: "reveals the server's transactions",
  transactionOldestSnapshot: "reveals the server's transactions",
  logTrace: "writes to the server log",
}));

/**
 * Table functions user SQL may call: pure generators and views over a
 * subquery, which the guard checks like any other subquery. Everything else
 * (`file`, `url`, `s3`, `remote`, `cluster`, `merge`, `dictionary`,
 * `executable`, `mysql`, `loop`, `mergeTreeIndex`, …) is refused.
 */
export const ALLOWED_TABLE_FUNCTIONS: ReadonlySet<string> = new Set([
  "numbers", "numbers_mt", "zeros", "zeros_mt", "generateRandom", "generate_series", "generateSeries",
  "primes", "values", "null", "view", "format",
]);

/**
 * Names the parser gives to syntax rather than to a registered function
 * (`x -> …` is `lambda`, `EXISTS (…)` is `exists`, `GROUPING SETS` helpers;
 * a query parameter `{x:T}` is substituted as `_CAST(<value>, 'T')`).
 */
export const SYNTAX_FUNCTIONS: ReadonlySet<string> = new Set(["lambda", "exists", "grouping", "untuple", "isNotDistinctFrom", "_CAST"]);
