import { describe, expect, it } from "vitest";
import { errorsOf, lines, pipe } from "./helpers.js";

const NODE = lines("NODE n", "SQL >", "    SELECT 1");

describe("pipe nodes", () => {
  it("reads nodes with dedented SQL and the SQL's first line", () => {
    const p = pipe(lines("NODE first", "SQL >", "    SELECT a,", "        b", "    FROM t", "", "NODE second", "SQL >", "    SELECT * FROM first"));
    expect(p.nodes.map((n) => [n.name, n.sql, n.templated, n.line, n.sqlLine, n.type])).toEqual([
      ["first", "SELECT a,\n    b\nFROM t", false, 1, 3, "standard"],
      ["second", "SELECT * FROM first", false, 7, 9, "standard"],
    ]);
  });

  it("keeps an indented `%` as the first SQL line and marks the node templated", () => {
    const node = pipe(lines("NODE n", "SQL >", "    %", "    SELECT {{ Int32(x, 1) }}")).nodes[0]!;
    expect([node.sql, node.templated]).toEqual(["%\nSELECT {{ Int32(x, 1) }}", true]);
  });

  it("keeps a `%` at column 0 and still dedents the SQL under it", () => {
    expect(pipe(lines("NODE n", "SQL >", "%", "    SELECT 1", "    FROM t")).nodes[0]!.sql).toBe("%\nSELECT 1\nFROM t");
  });

  it("keeps SQL lines written at column 0 inside the block", () => {
    expect(pipe(lines("NODE n", "SQL >", "SELECT 1", "FROM t", "WHERE x", "TYPE endpoint")).nodes[0]!.sql).toBe("SELECT 1\nFROM t\nWHERE x");
  });

  it("keeps SETTINGS at column 0 as SQL, since it is a query clause", () => {
    expect(pipe(lines("NODE n", "SQL >", "SELECT 1", "SETTINGS max_threads = 2")).nodes[0]!.sql).toBe("SELECT 1\nSETTINGS max_threads = 2");
  });

  it("drops `#` comment lines inside SQL like the CLI does", () => {
    expect(pipe(lines("NODE n", "SQL >", "    SELECT 1", "    # not sql", "    FROM t")).nodes[0]!.sql).toBe("SELECT 1\nFROM t");
  });

  it("keeps `#` that is not at the start of an SQL line", () => {
    expect(pipe(lines("NODE n", "SQL >", "    SELECT '#1' AS tag # trailing")).nodes[0]!.sql).toBe("SELECT '#1' AS tag # trailing");
  });

  it("reads pipe and node descriptions by position", () => {
    const p = pipe(lines("DESCRIPTION >", "    The pipe", "NODE n", "DESCRIPTION >", "    The node", "SQL >", "    SELECT 1"));
    expect([p.description, p.nodes[0]!.description]).toEqual(["The pipe", "The node"]);
  });

  it("reads a DESCRIPTION block whose later lines are at column 0 (TS SDK output)", () => {
    expect(pipe(lines("DESCRIPTION >", "    First line", "second line", "", "NODE n", "SQL >", "    SELECT 1")).description).toBe("First line\nsecond line");
  });

  it("reads pipe TOKEN lines", () => {
    expect(pipe(lines('TOKEN "dashboard" READ', "TOKEN read_pipes READ", NODE)).tokens.map((t) => [t.name, t.scope])).toEqual([["dashboard", "READ"], ["read_pipes", "READ"]]);
  });
});

describe("pipe publication", () => {
  const publication = (...directives: string[]) => pipe(lines(NODE, ...directives)).publication;
  const cases: [string[], unknown][] = [
    [[], { type: "standard" }],
    [["TYPE standard"], { type: "standard" }],
    [["TYPE endpoint"], { type: "endpoint", node: "n" }],
    [["TYPE ENDPOINT", "CACHE 60"], { type: "endpoint", node: "n", cacheSeconds: 60 }],
    // Tern's extension: serve an expired answer while it is refreshed.
    [["TYPE endpoint", "CACHE 60", "CACHE_STALE_WHILE_REVALIDATE 300"], { type: "endpoint", node: "n", cacheSeconds: 60, cacheStaleSeconds: 300 }],
    [["TYPE MATERIALIZED", "DATASOURCE target"], { type: "materialized", node: "n", datasource: "target" }],
    [["TYPE materialized", "DATASOURCE target", "DEPLOYMENT_METHOD alter"], { type: "materialized", node: "n", datasource: "target", deploymentMethod: "alter" }],
    [["TYPE Copy", "TARGET_DATASOURCE snap"], { type: "copy", node: "n", targetDatasource: "snap", schedule: "@on-demand", mode: "append" }],
    [["TYPE COPY", "TARGET_DATASOURCE snap", "COPY_SCHEDULE 0 3 * * *", "COPY_MODE replace"], { type: "copy", node: "n", targetDatasource: "snap", schedule: "0 3 * * *", mode: "replace" }],
    [["TYPE copy", "TARGET_DATASOURCE snap", 'COPY_SCHEDULE "*/15 * * * *"', "MODE append"], { type: "copy", node: "n", targetDatasource: "snap", schedule: "*/15 * * * *", mode: "append" }],
    [["TYPE copy", "TARGET_DATASOURCE snap", "COPY_SCHEDULE @HOURLY"], { type: "copy", node: "n", targetDatasource: "snap", schedule: "@HOURLY", mode: "append" }],
    // Tern's extension: the copies this one runs after.
    [["TYPE copy", "TARGET_DATASOURCE snap", "COPY_AFTER load_a, load_b"], { type: "copy", node: "n", targetDatasource: "snap", schedule: "@on-demand", mode: "append", after: ["load_a", "load_b"] }],
    [["TYPE copy", "TARGET_DATASOURCE snap", "COPY_SCHEDULE @on-demand", "COPY_AFTER load_a"], { type: "copy", node: "n", targetDatasource: "snap", schedule: "@on-demand", mode: "append", after: ["load_a"] }],
    [["TYPE sink", "EXPORT_CONNECTION_NAME k", "EXPORT_KAFKA_TOPIC out", "EXPORT_SCHEDULE @on-demand"], { type: "sink", target: "kafka", node: "n", connectionName: "k", schedule: "@on-demand", topic: "out" }],
    [["TYPE sink", "EXPORT_CONNECTION_NAME s3", "EXPORT_BUCKET_URI s3://b/p/", "EXPORT_FILE_TEMPLATE e_{date}", "EXPORT_SCHEDULE 0 * * * *"],
      { type: "sink", target: "bucket", node: "n", connectionName: "s3", schedule: "0 * * * *", bucketUri: "s3://b/p/", fileTemplate: "e_{date}", format: "csv", compression: "none", strategy: "new" }],
    [["TYPE sink", "EXPORT_CONNECTION_NAME s3", "EXPORT_BUCKET_URI s3://b/p/", "EXPORT_FILE_TEMPLATE e", "EXPORT_SCHEDULE 0 * * * *", "EXPORT_FORMAT ndjson", "EXPORT_COMPRESSION gz", "EXPORT_STRATEGY create_new"],
      { type: "sink", target: "bucket", node: "n", connectionName: "s3", schedule: "0 * * * *", bucketUri: "s3://b/p/", fileTemplate: "e", format: "ndjson", compression: "gzip", strategy: "new" }],
    [["TYPE sink", "EXPORT_CONNECTION_NAME gcs", "EXPORT_BUCKET_URI gs://b", "EXPORT_FILE_TEMPLATE e", "EXPORT_SCHEDULE @daily", "EXPORT_FORMAT parquet", "EXPORT_COMPRESSION snappy", "EXPORT_WRITE_STRATEGY truncate"],
      { type: "sink", target: "bucket", node: "n", connectionName: "gcs", schedule: "@daily", bucketUri: "gs://b", fileTemplate: "e", format: "parquet", compression: "snappy", strategy: "truncate" }],
    [["TYPE sink", "EXPORT_CONNECTION_NAME s3", "EXPORT_BUCKET_URI s3://b", "EXPORT_FILE_TEMPLATE e", "EXPORT_SCHEDULE @on-demand", "EXPORT_STRATEGY replace"],
      { type: "sink", target: "bucket", node: "n", connectionName: "s3", schedule: "@on-demand", bucketUri: "s3://b", fileTemplate: "e", format: "csv", compression: "none", strategy: "truncate" }],
  ];
  for (const [directives, expected] of cases) {
    it(`reads ${directives.join(" / ") || "no TYPE"}`, () => {
      expect(publication(...directives)).toEqual(expected);
    });
  }

  it("applies TYPE to the node it follows, not the last node", () => {
    const p = pipe(lines("NODE a", "SQL >", "    SELECT 1", "TYPE endpoint", "NODE b", "SQL >", "    SELECT 2"));
    expect([p.publication, p.nodes.map((n) => n.type)]).toEqual([{ type: "endpoint", node: "a" }, ["endpoint", "standard"]]);
  });

  it("reads an unknown word at column 0 after SQL as SQL, like the CLI", () => {
    expect(pipe(lines(NODE, "TYPO endpoint")).nodes[0]!.sql).toBe("    SELECT 1\nTYPO endpoint");
  });

  it("warns about options that the node type does not use", () => {
    expect(pipe(lines(NODE, "TYPE endpoint", "DATASOURCE x")).warnings.map((w) => [w.line, w.message])).toEqual([[5, "DATASOURCE does not apply to a endpoint node and is ignored"]]);
  });
});

describe("pipe errors", () => {
  const cases: [string, string, [number, number, string][]][] = [
    ["unknown keyword", lines("TYPO endpoint", NODE), [[1, 1, "`TYPO` is not a valid option in pipe files; did you mean TYPE?"]]],
    ["misspelt keyword at column 0 after SQL", lines(NODE, "TARGET_DATASORCE x"), [[4, 1, "`TARGET_DATASORCE` is not a valid option in pipe files; did you mean TARGET_DATASOURCE?"]]],
    ["no nodes", lines("DESCRIPTION x"), [[1, 1, "a pipe needs at least one NODE with an `SQL >` block"]]],
    ["NODE without name", lines("NODE", "SQL >", "    SELECT 1"), [[1, 6, "NODE needs a name, e.g. NODE endpoint"], [2, 1, "SQL must come after a NODE line"]]],
    ["SQL before NODE", lines("SQL >", "    SELECT 1"), [[1, 1, "SQL must come after a NODE line"], [1, 1, "a pipe needs at least one NODE with an `SQL >` block"]]],
    ["inline SQL", lines("NODE n", "SQL SELECT 1"), [[1, 1, "node `n` has no SQL; add an `SQL >` block after NODE n"], [2, 1, "SQL must be a block: write `SQL >` and the query on the following indented lines"]]],
    ["empty SQL", lines("NODE n", "SQL >", "    %", "TYPE endpoint"), [[1, 1, "node `n` has no SQL; add an `SQL >` block after NODE n"], [2, 1, "SQL block of node `n` is empty"]]],
    ["duplicate node", lines(NODE, NODE), [[4, 6, "node `n` is defined twice (first on line 1)"]]],
    ["bad TYPE", lines(NODE, "TYPE api"), [[4, 6, "invalid TYPE `api`; expected endpoint, materialized, copy or sink"]]],
    ["two published nodes", lines(NODE, "TYPE endpoint", "NODE m", "SQL >", "    SELECT 2", "TYPE copy", "TARGET_DATASOURCE t"), [[8, 1, "a pipe can have only one endpoint, materialized, copy or sink node; `n` is already endpoint"]]],
    ["materialized without DATASOURCE", lines(NODE, "TYPE materialized"), [[4, 1, "TYPE materialized needs DATASOURCE, e.g. DATASOURCE <target_datasource>"]]],
    ["copy without TARGET_DATASOURCE", lines(NODE, "TYPE copy"), [[4, 1, "TYPE copy needs TARGET_DATASOURCE, e.g. TARGET_DATASOURCE <datasource>"]]],
    ["bad COPY_MODE", lines(NODE, "TYPE copy", "TARGET_DATASOURCE t", "COPY_MODE upsert"), [[6, 11, "invalid COPY_MODE `upsert`; expected append or replace"]]],
    ["bad COPY_SCHEDULE", lines(NODE, "TYPE copy", "TARGET_DATASOURCE t", "COPY_SCHEDULE every hour"), [[6, 15, "invalid COPY_SCHEDULE `every hour`: a cron expression has 5 fields (minute hour day month weekday), `every hour` has 2; expected a cron expression in UTC such as 0 * * * *, or @on-demand"]]],
    ["COPY_SCHEDULE out of range", lines(NODE, "TYPE copy", "TARGET_DATASOURCE t", "COPY_SCHEDULE 99 * * * *"), [[6, 15, "invalid COPY_SCHEDULE `99 * * * *`: Invalid value for minute; expected a cron expression in UTC such as 0 * * * *, or @on-demand"]]],
    ["EXPORT_SCHEDULE with six fields", lines(NODE, "TYPE sink", "EXPORT_CONNECTION_NAME k", "EXPORT_KAFKA_TOPIC t", "EXPORT_SCHEDULE 0 0 * * * *"), [[7, 17, "invalid EXPORT_SCHEDULE `0 0 * * * *`: a cron expression has 5 fields (minute hour day month weekday), `0 0 * * * *` has 6; expected a cron expression in UTC such as 0 * * * *, or @on-demand"]]],
    ["bad COPY_AFTER", lines(NODE, "TYPE copy", "TARGET_DATASOURCE t", "COPY_AFTER other-copy"), [[6, 12, "invalid COPY_AFTER `other-copy`; expected the names of copy pipes, e.g. COPY_AFTER load_events, load_users"]]],
    ["COPY_AFTER with a cron schedule", lines(NODE, "TYPE copy", "TARGET_DATASOURCE t", "COPY_SCHEDULE 0 * * * *", "COPY_AFTER a"), [[7, 1, "COPY_AFTER and a cron COPY_SCHEDULE do not go together: a copy with COPY_AFTER runs when the copies it names have finished; remove COPY_SCHEDULE"]]],
    ["bad DEPLOYMENT_METHOD", lines(NODE, "TYPE materialized", "DATASOURCE d", "DEPLOYMENT_METHOD recreate"), [[6, 19, "invalid DEPLOYMENT_METHOD `recreate`; expected alter"]]],
    ["bad CACHE", lines(NODE, "TYPE endpoint", "CACHE soon"), [[5, 7, "invalid CACHE `soon`; expected a number of seconds"]]],
    ["bad CACHE_STALE_WHILE_REVALIDATE", lines(NODE, "TYPE endpoint", "CACHE 5", "CACHE_STALE_WHILE_REVALIDATE 1m"), [[6, 30, "invalid CACHE_STALE_WHILE_REVALIDATE `1m`; expected a number of seconds"]]],
    ["CACHE_STALE_WHILE_REVALIDATE without CACHE", lines(NODE, "TYPE endpoint", "CACHE_STALE_WHILE_REVALIDATE 60"), [[5, 30, "CACHE_STALE_WHILE_REVALIDATE needs CACHE <seconds>"]]],
    ["sink without schedule", lines(NODE, "TYPE sink", "EXPORT_CONNECTION_NAME k", "EXPORT_KAFKA_TOPIC t"), [[4, 1, "TYPE sink needs EXPORT_SCHEDULE, e.g. EXPORT_SCHEDULE 0 * * * * or EXPORT_SCHEDULE @on-demand"]]],
    ["bucket sink without file template", lines(NODE, "TYPE sink", "EXPORT_CONNECTION_NAME s3", "EXPORT_SCHEDULE @on-demand", "EXPORT_BUCKET_URI s3://b"), [[4, 1, "TYPE sink needs EXPORT_FILE_TEMPLATE, e.g. EXPORT_FILE_TEMPLATE events_{date}"]]],
    ["Kafka sink with bucket options", lines(NODE, "TYPE sink", "EXPORT_CONNECTION_NAME k", "EXPORT_KAFKA_TOPIC t", "EXPORT_SCHEDULE @on-demand", "EXPORT_FORMAT csv"), [[8, 1, "EXPORT_FORMAT is not allowed in a Kafka sink; Kafka sinks take only EXPORT_CONNECTION_NAME, EXPORT_KAFKA_TOPIC and EXPORT_SCHEDULE"]]],
    ["bad EXPORT_FORMAT", lines(NODE, "TYPE sink", "EXPORT_CONNECTION_NAME s3", "EXPORT_SCHEDULE @on-demand", "EXPORT_BUCKET_URI s3://b", "EXPORT_FILE_TEMPLATE f", "EXPORT_FORMAT xml"), [[9, 15, "invalid EXPORT_FORMAT `xml`; expected csv, ndjson or parquet"]]],
    ["bad EXPORT_BUCKET_URI", lines(NODE, "TYPE sink", "EXPORT_CONNECTION_NAME s3", "EXPORT_SCHEDULE @on-demand", "EXPORT_BUCKET_URI my-bucket/exports", "EXPORT_FILE_TEMPLATE f"), [[7, 19, "EXPORT_BUCKET_URI `my-bucket/exports` is not a bucket URI; expected s3://bucket/prefix/, gs://bucket/prefix/ or r2://bucket/prefix/"]]],
    ["EXPORT_FILE_TEMPLATE with an open placeholder", lines(NODE, "TYPE sink", "EXPORT_CONNECTION_NAME s3", "EXPORT_SCHEDULE @on-demand", "EXPORT_BUCKET_URI s3://bkt/x/", "EXPORT_FILE_TEMPLATE events_{date"), [[8, 22, "EXPORT_FILE_TEMPLATE `events_{date`: the placeholder at character 8 is not closed with `}`"]]],
    ["EXPORT_FILE_TEMPLATE with a space", lines(NODE, "TYPE sink", "EXPORT_CONNECTION_NAME s3", "EXPORT_SCHEDULE @on-demand", "EXPORT_BUCKET_URI s3://bkt/x/", "EXPORT_FILE_TEMPLATE my events_{date}"), [[8, 22, "EXPORT_FILE_TEMPLATE `my events_{date}`: outside placeholders a file name may hold letters, digits and . _ - / = only"]]],
    ["APPEND token on a pipe", lines('TOKEN "t" APPEND', NODE), [[1, 11, "invalid TOKEN scope `APPEND`; expected READ"]]],
    ["node option before NODE", lines("TYPE endpoint", NODE), [[1, 1, "TYPE must come after a NODE line"]]],
  ];
  for (const [what, text, expected] of cases) {
    it(`reports ${what}`, () => {
      expect(errorsOf("p.pipe", text)).toEqual(expected);
    });
  }
});
