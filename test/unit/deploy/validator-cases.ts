/**
 * The project validator's conformance table: projects in, every problem out,
 * as `file:line:column: message` in the order `tern check` prints them and
 * `/v1/deploy` answers them. Three tests run this one table:
 * `test/unit/deploy/project-validator.test.ts` (the shared validator),
 * `test/node/cli/check.test.ts` (`tern check` on the files written to disk)
 * and `test/workers/deploy-validation.test.ts` (`/v1/deploy` through the
 * Worker), so the CLI and the deploy report the same problems for the same files.
 *
 * Files are listed as `tern check` orders a folder: datasources, pipes,
 * connections, by path within a kind (INCLUDE fragments anywhere).
 */

export interface ValidatorCase {
  name: string;
  files: Record<string, string>;
  /** `file:line:column: message`; a problem found in an INCLUDEd fragment names the datafile it belongs to. */
  errors: Array<string | { filename: string; error: string }>;
  warnings?: Array<string | { filename: string; error: string }>;
}

const LOGS = [
  "SCHEMA >",
  "    `level` String,",
  "    `n` UInt32",
  "",
  "ENGINE MergeTree",
  "ENGINE_SORTING_KEY level",
  "",
].join("\n");

/** A pipe of one node, `TYPE` and its options after it. */
const pipe = (node: string, sql: string, ...tail: string[]) => [`NODE ${node}`, "SQL >", ...sql.split("\n").map((l) => `    ${l}`), "", ...tail, ""].join("\n");

export const VALIDATOR_CASES: ValidatorCase[] = [
  {
    name: "a valid project has no problem",
    files: {
      "datasources/logs.datasource": LOGS,
      "pipes/by_level.pipe": pipe("counts", "SELECT level, count() AS c FROM logs GROUP BY level", "TYPE endpoint"),
      "pipes/top.pipe": pipe("best", "SELECT * FROM by_level ORDER BY c DESC LIMIT 1", "TYPE endpoint"),
    },
    errors: [],
  },
  {
    name: "a view may inline a pipe, a pipe read another, and a copy pipe share its target datasource's name",
    files: {
      "datasources/daily.datasource": "SCHEMA >\n    `level` String,\n    `c` AggregateFunction(count)\n\nENGINE AggregatingMergeTree\nENGINE_SORTING_KEY level\n",
      "datasources/logs.datasource": LOGS,
      "pipes/daily_mv.pipe": pipe("m", "SELECT level, countState() AS c FROM errors GROUP BY level", "TYPE materialized", "DATASOURCE daily"),
      "pipes/errors.pipe": pipe("only_errors", "%\nSELECT level, n FROM logs WHERE level = {{ String(lvl, 'ERROR') }}"),
      "pipes/logs.pipe": pipe("copy_levels", "SELECT level, n FROM errors", "TYPE copy", "TARGET_DATASOURCE logs"),
    },
    errors: [],
  },
  {
    name: "datafiles that do not parse: every problem of every file at once",
    files: {
      "datasources/bad_type.datasource": "SCHEMA >\n    `a` Strin,\n    `b` Int32\n\nENGINE \"MergeTree\"\n",
      "datasources/no_schema.datasource": "ENGINE MergeTree\nBOGUS 1\n",
      "pipes/bad_type.pipe": pipe("n", "SELECT 1", "TYPE nonsense"),
    },
    errors: [
      "datasources/bad_type.datasource:2:9: invalid type for column `a`: unknown type `Strin`",
      "datasources/no_schema.datasource:1:1: missing SCHEMA; a datasource needs a `SCHEMA >` block with its columns",
      "datasources/no_schema.datasource:2:1: `BOGUS` is not a valid option in datasource files",
      "pipes/bad_type.pipe:5:6: invalid TYPE `nonsense`; expected endpoint, materialized, copy or sink",
    ],
  },
  {
    name: "values that would paste SQL into DDL, at the value",
    files: {
      "datasources/evil.datasource": [
        "SCHEMA >",
        "    `ts` DateTime,",
        "    `v` UInt64 DEFAULT (SELECT count() FROM other_ws.events)",
        "",
        "INDEXES >",
        "    idx v TYPE hypothesis GRANULARITY 1",
        "",
        "ENGINE MergeTree",
        "ENGINE_SORTING_KEY ts, file('/etc/passwd')",
        'ENGINE_TTL "ts + INTERVAL 1 DAY; DROP TABLE other_ws.events"',
        "ENGINE_SETTINGS disk = disk(type = local, path = '/')",
        "",
      ].join("\n"),
    },
    errors: [
      "datasources/evil.datasource:3:24: DEFAULT of column `v`: subqueries are not allowed in a DDL value",
      "datasources/evil.datasource:6:5: TYPE of index `idx`: unknown index type `hypothesis`; expected one of minmax, set, bloom_filter, ngrambf_v1, tokenbf_v1, text",
      "datasources/evil.datasource:9:20: ENGINE_SORTING_KEY: function `file` is not allowed: it reads files on the ClickHouse host",
      "datasources/evil.datasource:10:12: ENGINE_TTL: `;` is not allowed: a DDL value is one expression, not a statement",
      "datasources/evil.datasource:11:17: ENGINE_SETTINGS: `disk` is not a MergeTree setting a datasource may change (docs/deployments.md lists the ones it may)",
    ],
  },
  {
    name: "a name is used once per kind",
    files: {
      "datasources/logs.datasource": LOGS,
      "more/logs.datasource": "SCHEMA >\n    `a` String\n",
    },
    errors: ["more/logs.datasource:1:1: the name 'logs' is already used by datasources/logs.datasource"],
  },
  {
    name: "references outside SQL, at their directive",
    files: {
      "datasources/from_bucket.datasource": `${LOGS}IMPORT_CONNECTION_NAME nobucket\nIMPORT_BUCKET_URI s3://b/*.ndjson\n`,
      "datasources/from_kafka.datasource": "SCHEMA >\n    `a` String\n\nKAFKA_CONNECTION_NAME nokafka\nKAFKA_TOPIC t\n",
      "datasources/logs.datasource": LOGS,
      "pipes/copy_ghost.pipe": pipe("a", "SELECT 1", "TYPE copy", "TARGET_DATASOURCE nowhere"),
      "pipes/mv_ghost.pipe": pipe("m", "SELECT level FROM logs", "TYPE materialized", "DATASOURCE ghost"),
      "pipes/sink_ghost.pipe": pipe(
        "s", "SELECT level FROM logs", "TYPE sink", "EXPORT_CONNECTION_NAME nosink", "EXPORT_BUCKET_URI s3://b/x/",
        "EXPORT_FILE_TEMPLATE f", "EXPORT_FORMAT ndjson", "EXPORT_SCHEDULE @on-demand",
      ),
    },
    errors: [
      "datasources/from_bucket.datasource:7:1: connection 'nobucket' is not in the project",
      "datasources/from_kafka.datasource:4:1: connection 'nokafka' is not in the project",
      "pipes/copy_ghost.pipe:6:1: copy node 'a' targets datasource 'nowhere', which is not in the project",
      "pipes/mv_ghost.pipe:6:1: materialized node 'm' writes to datasource 'ghost', which is not in the project",
      "pipes/sink_ghost.pipe:6:1: sink node 's' uses connection 'nosink', which is not in the project",
    ],
  },
  {
    name: "a Kafka datasource's connection: TYPE kafka with KAFKA_BOOTSTRAP_SERVERS, at the directive",
    files: {
      "datasources/from_bucket_conn.datasource": "SCHEMA >\n    `a` String\n\nKAFKA_CONNECTION_NAME bucket\nKAFKA_TOPIC t\n",
      "datasources/from_kafka.datasource": "SCHEMA >\n    `a` String\n\nKAFKA_CONNECTION_NAME no_servers\nKAFKA_TOPIC t\n",
      "connections/bucket.connection": "TYPE s3\nS3_REGION us-east-1\nS3_ACCESS_KEY k\nS3_SECRET s\n",
      "connections/no_servers.connection": "TYPE kafka\nKAFKA_SECURITY_PROTOCOL PLAINTEXT\n",
    },
    errors: [
      "datasources/from_bucket_conn.datasource:4:1: connection 'bucket' is TYPE s3; KAFKA_CONNECTION_NAME needs a TYPE kafka connection",
      "connections/no_servers.connection:1:1: a kafka connection needs KAFKA_BOOTSTRAP_SERVERS",
    ],
  },
  {
    name: "an S3/GCS import datasource: its bucket URI and its connection, at the directive",
    files: {
      "datasources/a_no_ext.datasource": `${LOGS}IMPORT_CONNECTION_NAME bucket\nIMPORT_BUCKET_URI s3://b/x/*\nIMPORT_SCHEDULE @auto\n`,
      "datasources/b_gs_on_s3.datasource": `${LOGS}IMPORT_CONNECTION_NAME bucket\nIMPORT_BUCKET_URI gs://b/x/*.csv\n`,
      "datasources/c_role.datasource": `${LOGS}IMPORT_CONNECTION_NAME role\nIMPORT_BUCKET_URI s3://b/*.csv\n`,
      "datasources/d_gcs_sa.datasource": `${LOGS}IMPORT_CONNECTION_NAME gcs_sa\nIMPORT_BUCKET_URI gs://b/*.csv\n`,
      "datasources/e_kafka.datasource": `${LOGS}IMPORT_CONNECTION_NAME k\nIMPORT_BUCKET_URI s3://b/*.csv\n`,
      "datasources/ok.datasource": `${LOGS}IMPORT_CONNECTION_NAME bucket\nIMPORT_BUCKET_URI s3://b/in/**/*.parquet.gz\nIMPORT_SCHEDULE 0 * * * *\n`,
      "connections/bucket.connection": "TYPE s3\nS3_REGION us-east-1\nS3_ACCESS_KEY k\nS3_SECRET s\n",
      "connections/gcs_sa.connection": "TYPE gcs\nGCS_SERVICE_ACCOUNT_CREDENTIALS_JSON x\n",
      "connections/k.connection": "TYPE kafka\nKAFKA_BOOTSTRAP_SERVERS localhost:9092\n",
      "connections/role.connection": "TYPE s3\nS3_REGION us-east-1\nS3_ARN arn:aws:iam::1:role/r\n",
    },
    errors: [
      "datasources/a_no_ext.datasource:8:1: IMPORT_BUCKET_URI `s3://b/x/*`: the file format is read from the extension; end the path with .csv, .ndjson, .jsonl or .parquet (optionally .gz)",
      "datasources/b_gs_on_s3.datasource:7:1: connection 'bucket' is an s3 connection, so IMPORT_BUCKET_URI must start with s3://",
      "datasources/c_role.datasource:7:1: connection 'role' authenticates with S3_ARN (an IAM role), which Tern's imports cannot assume; give it S3_ACCESS_KEY and S3_SECRET",
      "datasources/d_gcs_sa.datasource:7:1: connection 'gcs_sa' has no HMAC key: Tern reads GCS through its S3-compatible API, which takes GCS_HMAC_ACCESS_ID and GCS_HMAC_SECRET",
      "datasources/e_kafka.datasource:7:1: connection 'k' is a kafka connection; an import datasource needs an s3 or gcs connection",
    ],
  },
  {
    name: "a node reads a name the project does not have: at the name, in every node",
    files: {
      "datasources/logs.datasource": LOGS,
      "pipes/missing.pipe": [
        "NODE first",
        "SQL >",
        "    SELECT * FROM logs",
        "",
        "NODE second",
        "SQL >",
        "    SELECT level, count() AS c",
        "    FROM   nope",
        "    GROUP BY level",
        "",
        "NODE unused",
        "SQL >",
        "    SELECT * FROM first JOIN nothing_here USING level",
        "",
        "NODE last",
        "SQL >",
        "    SELECT * FROM first",
        "",
      ].join("\n"),
    },
    errors: [
      "pipes/missing.pipe:8:12: node 'second': Resource 'nope' not found",
      "pipes/missing.pipe:13:30: node 'unused': Resource 'nothing_here' not found",
    ],
  },
  {
    name: "a node reads a node defined after it",
    files: {
      "pipes/forward_ref.pipe": "NODE a\nSQL >\n    SELECT * FROM b\n\nNODE b\nSQL >\n    SELECT 1\n",
    },
    errors: ["pipes/forward_ref.pipe:3:19: node 'a': Node 'a' references node 'b', which is defined after it"],
  },
  {
    name: "a template that does not compile, at its line",
    files: {
      "datasources/logs.datasource": LOGS,
      "pipes/bad_template.pipe": pipe("t", "%\nSELECT * FROM logs WHERE level = {{ String(level, ", "TYPE endpoint"),
    },
    errors: ["pipes/bad_template.pipe:4:1: node 't': Missing end expression }} at <string>:2"],
  },
  {
    name: "required params get samples, except in a materialized view, which runs without params",
    files: {
      "datasources/levels.datasource": "SCHEMA >\n    `level` String\n\nENGINE MergeTree\nENGINE_SORTING_KEY level\n",
      "datasources/logs.datasource": LOGS,
      "pipes/levels_mv.pipe": pipe("m", "%\nSELECT level FROM logs WHERE level = {{ String(lvl, required=True) }}", "TYPE materialized", "DATASOURCE levels"),
      "pipes/required_ok.pipe": pipe("a", "%\nSELECT {{ Int32(n, required=True) }} AS n, {{ String(s) }} AS s FROM logs", "TYPE endpoint"),
    },
    errors: [
      "pipes/levels_mv.pipe:3:1: node 'm': Template Syntax Error: Required parameter is not defined. Check the parameters lvl. Please provide a value or set a default value in the pipe code.",
    ],
  },
  {
    name: "names outside the workspace: other databases, unknown service datasources, table functions, a second statement",
    files: {
      "datasources/logs.datasource": LOGS,
      "pipes/calls.pipe": pipe("per_pipe", "SELECT pipe_name, count() AS c FROM tinybird.pipe_stats_rt GROUP BY pipe_name", "TYPE endpoint"),
      "pipes/other_db.pipe": pipe("o", "SELECT * FROM other_ws.events"),
      "pipes/passwd.pipe": pipe("f", "SELECT * FROM file('/etc/passwd')"),
      "pipes/service_mv.pipe": pipe("m", "SELECT level, n FROM tinybird.pipe_stats_rt", "TYPE materialized", "DATASOURCE logs"),
      "pipes/two.pipe": pipe("t", "SELECT 1; DROP TABLE logs"),
      "pipes/unknown_service.pipe": pipe("x", "SELECT * FROM tinybird.no_such_service", "TYPE endpoint"),
    },
    errors: [
      "pipes/other_db.pipe:3:19: node 'o': Resource 'other_ws.events' not found",
      "pipes/passwd.pipe:3:19: node 'f': Table function 'file' is not allowed",
      "pipes/service_mv.pipe:3:26: node 'm': Resource 'tinybird.pipe_stats_rt' not found",
      "pipes/two.pipe:3:13: node 't': Multi-statements are not allowed",
      "pipes/unknown_service.pipe:3:19: node 'x': Resource 'tinybird.no_such_service' not found",
    ],
  },
  {
    name: "pipes read other pipes, never in a cycle, and never a materialized pipe",
    files: {
      "datasources/levels.datasource": "SCHEMA >\n    `level` String\n\nENGINE MergeTree\nENGINE_SORTING_KEY level\n",
      "datasources/logs.datasource": LOGS,
      "pipes/a.pipe": pipe("read_b", "SELECT * FROM b"),
      "pipes/b.pipe": "NODE own\nSQL >\n    SELECT * FROM logs\n\nNODE joined\nSQL >\n    SELECT * FROM own JOIN a USING level\n",
      "pipes/chained.pipe": pipe("c", "SELECT * FROM fine WHERE n > 1"),
      "pipes/fine.pipe": pipe("f", "SELECT level, n FROM logs"),
      "pipes/itself.pipe": pipe("i", "SELECT * FROM itself"),
      "pipes/levels_mv.pipe": pipe("m", "SELECT level FROM logs", "TYPE materialized", "DATASOURCE levels"),
      "pipes/reads_mv.pipe": pipe("r", "SELECT * FROM levels_mv"),
    },
    errors: [
      "pipes/a.pipe:3:19: node 'read_b': pipes read each other in a cycle: a → b → a",
      "pipes/b.pipe:7:28: node 'joined': pipes read each other in a cycle: b → a → b",
      "pipes/itself.pipe:3:19: node 'i': pipes read each other in a cycle: itself → itself",
      "pipes/reads_mv.pipe:3:19: node 'r': Resource 'levels_mv' not found",
    ],
  },
  {
    name: "materialized views: what they inline runs without params, and rows never flow back to their source",
    files: {
      "datasources/a.datasource": LOGS,
      "datasources/b.datasource": LOGS,
      "datasources/c.datasource": LOGS,
      "pipes/a_to_b.pipe": pipe("m", "SELECT level, n FROM a", "TYPE materialized", "DATASOURCE b"),
      "pipes/b_to_a.pipe": pipe("m", "SELECT level, n FROM b", "TYPE materialized", "DATASOURCE a"),
      "pipes/c_to_c.pipe": pipe("m", "SELECT level, n + 1 AS n FROM c", "TYPE materialized", "DATASOURCE c"),
      "pipes/needs_param.pipe": pipe("q", "%\nSELECT level, n FROM a WHERE level = {{ String(lvl, required=True) }}"),
      "pipes/via_param.pipe": pipe("m", "SELECT level, n FROM needs_param", "TYPE materialized", "DATASOURCE c"),
    },
    errors: [
      "pipes/a_to_b.pipe:3:26: node 'm': materialized views form a cycle: b → a → b",
      "pipes/b_to_a.pipe:3:26: node 'm': materialized views form a cycle: a → b → a",
      "pipes/c_to_c.pipe:3:35: node 'm': materialized views form a cycle: c → c",
      "pipes/via_param.pipe:3:26: node 'm': pipe 'needs_param' cannot be read by a materialized view: node 'q': Template Syntax Error: Required parameter is not defined. Check the parameters lvl. Please provide a value or set a default value in the pipe code.",
    ],
  },
  {
    name: "INCLUDE: fragments are read from the including file's folder; a problem in one names the fragment",
    files: {
      "datasources/logs.datasource": LOGS,
      "pipes/included.pipe": 'INCLUDE "../shared/nodes.incl"\n\nTYPE endpoint\n',
      "pipes/lost.pipe": 'INCLUDE "nope.incl"\n\nNODE n\nSQL >\n    SELECT 1\n',
      "shared/nodes.incl": pipe("x", "SELECT level FROM logs\nJOIN nothing USING level"),
    },
    errors: [
      { filename: "pipes/included.pipe", error: "../shared/nodes.incl:4:10: node 'x': Resource 'nothing' not found" },
      "pipes/lost.pipe:1:1: INCLUDE file \"nope.incl\" was not found",
    ],
    warnings: [
      "pipes/included.pipe:1:1: INCLUDE is not supported by Tinybird Forward; it is expanded for Classic compatibility",
    ],
  },
  {
    name: "a file that fails to load is reported once, not again by what refers to it",
    files: {
      "datasources/broken.datasource": "SCHEMA >\n    `a` Strin\n",
      "pipes/broken_reader.pipe": pipe("r", "SELECT * FROM broken", "TYPE copy", "TARGET_DATASOURCE broken"),
    },
    errors: ["datasources/broken.datasource:2:9: invalid type for column `a`: unknown type `Strin`"],
  },
  {
    name: "warnings do not fail a project",
    files: { "datasources/old.datasource": `VERSION 1\n${LOGS}` },
    errors: [],
    warnings: ["datasources/old.datasource:1:1: VERSION is deprecated and ignored"],
  },
];

/** A case's problems as `/v1/deploy` answers them. */
export function asDeployErrors(list: ValidatorCase["errors"]): Array<{ filename: string; error: string }> {
  return list.map((p) => (typeof p === "string" ? { filename: p.slice(0, p.indexOf(":")), error: p } : p));
}
