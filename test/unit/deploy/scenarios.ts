// Deploy scenarios as datafiles: the deploy tests' staged changes
// (test/workers/deploy.test.ts) and one project per rule of the plan. The
// golden test plans each; the phase tests read pieces of them.
import { fixtureProjects, type Step } from "./helpers.js";

// test/workers/deploy.test.ts: page views, evolved with a column and a daily MV.
export const PAGE_VIEWS_V1 = `DESCRIPTION >
    Page views, as the tracker sends them

SCHEMA >
    \`timestamp\` DateTime \`json:$.timestamp\`,
    \`session_id\` String \`json:$.session_id\`,
    \`pathname\` String \`json:$.pathname\`

ENGINE "MergeTree"
ENGINE_PARTITION_KEY "toYYYYMM(timestamp)"
ENGINE_SORTING_KEY "timestamp"

TOKEN tracker APPEND
`;

export const PAGE_VIEWS_V2 = `DESCRIPTION >
    Page views, as the tracker sends them

SCHEMA >
    \`timestamp\` DateTime \`json:$.timestamp\`,
    \`session_id\` String \`json:$.session_id\`,
    \`pathname\` String \`json:$.pathname\`,
    \`country\` LowCardinality(String) \`json:$.country\` DEFAULT 'unknown'

ENGINE "MergeTree"
ENGINE_PARTITION_KEY "toYYYYMM(timestamp)"
ENGINE_SORTING_KEY "pathname, timestamp"

TOKEN tracker APPEND
`;

export const TOP_PAGES = `NODE endpoint
SQL >
    %
    SELECT pathname, count() AS views
    FROM page_views
    WHERE timestamp >= {{ DateTime(start, '2020-01-01 00:00:00') }}
    GROUP BY pathname
    ORDER BY views DESC
    LIMIT {{ Int32(limit, 10) }}

TYPE endpoint
`;

export const DAILY = `SCHEMA >
    \`day\` Date,
    \`views\` AggregateFunction(count)

ENGINE "AggregatingMergeTree"
ENGINE_SORTING_KEY "day"
`;

export const DAILY_MV = `NODE daily
SQL >
    SELECT toDate(timestamp) AS day, countState() AS views
    FROM page_views
    GROUP BY day

TYPE materialized
DATASOURCE daily_views
`;

// test/workers/deploy.test.ts, "staging": a new column and a new sorting key.
export const STAGED_V1 = "SCHEMA >\n    `id` UInt32,\n    `v` String\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"id\"\n";
export const STAGED_V2 = "SCHEMA >\n    `id` UInt32,\n    `v` String,\n    `n` UInt8 DEFAULT 7\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"v, id\"\n";
export const STAGED_V3 = STAGED_V1.replace("`v` String", "`v` String,\n    `w` String DEFAULT ''");

/** A landing datasource with `columns` (`name Type` each) sorted by `sortingKey`, plus any extra directives. */
export function landing(columns: string[], sortingKey: string, extra = ""): string {
  return `SCHEMA >\n${columns.map((c) => `    ${c.replace(/^(\w+)/, "`$1`")}`).join(",\n")}\n\nENGINE "MergeTree"\nENGINE_SORTING_KEY "${sortingKey}"\n${extra}`;
}

/** An endpoint pipe with one node. */
export function endpoint(node: string, sql: string): string {
  return `NODE ${node}\nSQL >\n    ${sql}\n\nTYPE endpoint\n`;
}

/** A materialized pipe with one node writing to `datasource`. */
export function materialized(node: string, sql: string, datasource: string): string {
  return `NODE ${node}\nSQL >\n    ${sql}\n\nTYPE materialized\nDATASOURCE ${datasource}\n`;
}

const EVENTS = landing(["id UInt32", "ts DateTime", "v String"], "id");
const HOURLY_V1 = `SCHEMA >\n    \`hour\` DateTime,\n    \`n\` AggregateFunction(count)\n\nENGINE "AggregatingMergeTree"\nENGINE_SORTING_KEY "hour"\n`;
const HOURLY_V2 = HOURLY_V1.replace('ENGINE_SORTING_KEY "hour"', 'ENGINE_SORTING_KEY "hour"\nENGINE_TTL "hour + toIntervalDay(30)"');
const HOURLY_MV = materialized("hourly", "SELECT toStartOfHour(ts) AS hour, countState() AS n FROM events GROUP BY hour", "hourly");

export interface Scenario {
  /** File name of its golden plan, and the test's name. */
  name: string;
  /** Planned in order, each against the one before as live; the last plan is the scenario's. */
  steps: Step[];
}

/** One more column on every datasource: every table new, with its backfills and forwards. */
function withExtraColumn(files: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(files).map(([name, text]) => [
    name,
    name.endsWith(".datasource") ? text.replace(/^SCHEMA >\n/m, "SCHEMA >\n    `golden_extra` UInt8 DEFAULT 0,\n") : text,
  ]));
}

/** The same datafiles with a comment added: the files differ, every object stays. */
function touched(files: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(files).map(([name, text]) => [name, `# touched\n${text}`]));
}

function fixtureScenarios(): Scenario[] {
  return [...fixtureProjects()].flatMap(([name, files]) => [
    { name: `fixture-${name}-first`, steps: [{ files, tag: "f1" }] },
    { name: `fixture-${name}-same`, steps: [{ files, tag: "f1" }, { files, tag: "f2" }] },
    { name: `fixture-${name}-touched`, steps: [{ files, tag: "f1" }, { files: touched(files), tag: "f2" }] },
    { name: `fixture-${name}-extra-column`, steps: [{ files, tag: "f1" }, { files: withExtraColumn(files), tag: "f2" }] },
    { name: `fixture-${name}-from-empty-live`, steps: [{ files: { "placeholder.datasource": STAGED_V1 }, tag: "f0" }, { files, tag: "f1" }] },
  ]);
}

export const SCENARIOS: Scenario[] = [
  ...fixtureScenarios(),
  {
    name: "deploy-page-views-evolved-with-daily-mv",
    steps: [
      { files: { "page_views.datasource": PAGE_VIEWS_V1, "top_pages.pipe": TOP_PAGES }, tag: "a1" },
      { files: { "page_views.datasource": PAGE_VIEWS_V2, "top_pages.pipe": TOP_PAGES, "daily_views.datasource": DAILY, "daily_views_mv.pipe": DAILY_MV }, tag: "a2" },
    ],
  },
  {
    name: "deploy-page-views-rolled-back",
    steps: [
      { files: { "page_views.datasource": PAGE_VIEWS_V2, "top_pages.pipe": TOP_PAGES, "daily_views.datasource": DAILY, "daily_views_mv.pipe": DAILY_MV }, tag: "a2" },
      { files: { "page_views.datasource": PAGE_VIEWS_V1, "top_pages.pipe": TOP_PAGES }, tag: "a3" },
    ],
  },
  {
    name: "deploy-daily-mv-added-to-unchanged-page-views",
    steps: [
      { files: { "page_views.datasource": PAGE_VIEWS_V1, "top_pages.pipe": TOP_PAGES }, tag: "a1" },
      { files: { "page_views.datasource": PAGE_VIEWS_V1, "top_pages.pipe": TOP_PAGES, "daily_views.datasource": DAILY, "daily_views_mv.pipe": DAILY_MV }, tag: "a2" },
    ],
  },
  { name: "staging-new-column-and-sorting-key", steps: [{ files: { "staged.datasource": STAGED_V1 }, tag: "s1" }, { files: { "staged.datasource": STAGED_V2 }, tag: "s2" }] },
  { name: "staging-column-added", steps: [{ files: { "other.datasource": STAGED_V1 }, tag: "s1" }, { files: { "other.datasource": STAGED_V3 }, tag: "s2" }] },
  { name: "column-dropped", steps: [{ files: { "other.datasource": STAGED_V3 }, tag: "s1" }, { files: { "other.datasource": STAGED_V1 }, tag: "s2" }] },
  {
    name: "forward-query-renames-a-column",
    steps: [
      { files: { "t.datasource": STAGED_V1 }, tag: "q1" },
      { files: { "t.datasource": landing(["id UInt32", "value String"], "id", "FORWARD_QUERY >\n    SELECT id, v AS value\n") }, tag: "q2" },
    ],
  },
  {
    name: "forward-query-without-select",
    steps: [
      { files: { "t.datasource": STAGED_V1 }, tag: "q1" },
      { files: { "t.datasource": landing(["id UInt64", "v String"], "id", "FORWARD_QUERY >\n    toUInt64(id) AS id, v\n") }, tag: "q2" },
    ],
  },
  {
    name: "no-column-in-common",
    steps: [
      { files: { "t.datasource": STAGED_V1 }, tag: "c1" },
      { files: { "t.datasource": landing(["x UInt32", "y String"], "x") }, tag: "c2" },
    ],
  },
  {
    name: "backfill-skip",
    steps: [
      { files: { "t.datasource": STAGED_V1 }, tag: "b1" },
      { files: { "t.datasource": STAGED_V2 + "BACKFILL skip\n" }, tag: "b2" },
    ],
  },
  {
    name: "sorting-key-only-keeps-quarantine",
    steps: [
      { files: { "t.datasource": STAGED_V1 }, tag: "k1" },
      { files: { "t.datasource": STAGED_V1.replace('ENGINE_SORTING_KEY "id"', 'ENGINE_SORTING_KEY "v, id"') }, tag: "k2" },
    ],
  },
  {
    name: "datasource-deleted",
    steps: [
      {
        files: { "keep.datasource": STAGED_V1, "gone.datasource": STAGED_V3, "also_gone.datasource": STAGED_V1, "gone_reader.pipe": endpoint("r", "SELECT * FROM gone") },
        tag: "d1",
      },
      { files: { "keep.datasource": STAGED_V1 }, tag: "d2" },
    ],
  },
  {
    name: "mv-target-changed-source-live",
    steps: [
      { files: { "events.datasource": EVENTS, "hourly.datasource": HOURLY_V1, "hourly_mv.pipe": HOURLY_MV }, tag: "m1" },
      { files: { "events.datasource": EVENTS, "hourly.datasource": HOURLY_V2, "hourly_mv.pipe": HOURLY_MV }, tag: "m2" },
    ],
  },
  {
    name: "mv-changed-target-unchanged",
    steps: [
      { files: { "events.datasource": EVENTS, "hourly.datasource": HOURLY_V1, "hourly_mv.pipe": HOURLY_MV }, tag: "m1" },
      {
        files: {
          "events.datasource": EVENTS, "hourly.datasource": HOURLY_V1,
          "hourly_mv.pipe": materialized("hourly", "SELECT toStartOfHour(ts) AS hour, countState() AS n FROM events WHERE v != '' GROUP BY hour", "hourly"),
        },
        tag: "m2",
      },
    ],
  },
  {
    name: "mv-reads-a-pipe-and-a-join",
    steps: [{
      files: {
        "events.datasource": EVENTS,
        "names.datasource": landing(["id UInt32", "name String"], "id"),
        "hourly.datasource": HOURLY_V1,
        "named.pipe": endpoint("named", "SELECT e.ts AS ts FROM events AS e INNER JOIN names AS n ON e.id = n.id"),
        "hourly_mv.pipe": materialized("hourly", "SELECT toStartOfHour(ts) AS hour, countState() AS n FROM named GROUP BY hour", "hourly"),
      },
      tag: "p1",
    }],
  },
  {
    name: "mv-chain-source-changed",
    steps: [
      {
        files: {
          "events.datasource": EVENTS, "hourly.datasource": HOURLY_V1, "hourly_mv.pipe": HOURLY_MV,
          "daily.datasource": DAILY.replace("`views` AggregateFunction(count)", "`n` UInt64"),
          "daily_mv.pipe": materialized("daily", "SELECT toDate(hour) AS day, countMerge(n) AS n FROM hourly GROUP BY day", "daily"),
        },
        tag: "h1",
      },
      {
        files: {
          "events.datasource": landing(["id UInt32", "ts DateTime", "v String", "w String DEFAULT ''"], "id"), "hourly.datasource": HOURLY_V1, "hourly_mv.pipe": HOURLY_MV,
          "daily.datasource": DAILY.replace("`views` AggregateFunction(count)", "`n` UInt64"),
          "daily_mv.pipe": materialized("daily", "SELECT toDate(hour) AS day, countMerge(n) AS n FROM hourly GROUP BY day", "daily"),
        },
        tag: "h2",
      },
    ],
  },
  {
    name: "service-views-and-pipes-reading-pipes",
    steps: [{
      files: {
        "events.datasource": EVENTS,
        "calls.pipe": endpoint("calls", "SELECT pipe_name, count() AS calls FROM tinybird.pipe_stats_rt GROUP BY pipe_name"),
        "base.pipe": `NODE first\nSQL >\n    SELECT id, v FROM events\n\nNODE second\nSQL >\n    SELECT id FROM first\n`,
        "top.pipe": endpoint("top", "SELECT count() AS c FROM base"),
      },
      tag: "v1",
    }],
  },
  {
    name: "tokens-across-files",
    steps: [{
      files: {
        "a.datasource": `${STAGED_V1}\nTOKEN shared APPEND\nTOKEN reader READ\n`,
        "b.datasource": `${STAGED_V1}\nTOKEN shared READ\n`,
        "p.pipe": `${endpoint("p", "SELECT * FROM a")}\nTOKEN reader READ\nTOKEN shared READ\n`,
      },
      tag: "t1",
    }],
  },
  {
    name: "connection-changed",
    steps: [
      { files: { "bucket.connection": "TYPE s3\nS3_REGION eu-west-1\nS3_ARN arn:aws:iam::123456789012:role/a\n", "t.datasource": STAGED_V1 }, tag: "n1" },
      { files: { "bucket.connection": "TYPE s3\nS3_REGION eu-west-3\nS3_ARN arn:aws:iam::123456789012:role/a\n", "t.datasource": STAGED_V1 }, tag: "n2" },
    ],
  },
  {
    name: "connection-added-and-deleted",
    steps: [
      { files: { "old.connection": "TYPE s3\nS3_REGION eu-west-1\nS3_ARN arn:aws:iam::123456789012:role/a\n", "t.datasource": STAGED_V1 }, tag: "n1" },
      { files: { "new.connection": "TYPE s3\nS3_REGION eu-west-1\nS3_ARN arn:aws:iam::123456789012:role/a\n", "t.datasource": STAGED_V1 }, tag: "n2" },
    ],
  },
  {
    name: "files-in-folders-renamed",
    steps: [
      { files: { "datasources/t.datasource": STAGED_V1, "pipes/p.pipe": endpoint("p", "SELECT id FROM t") }, tag: "r1" },
      { files: { "t.datasource": STAGED_V1, "endpoints/p.pipe": endpoint("p", "SELECT id FROM t") }, tag: "r2" },
    ],
  },
  {
    name: "engine-settings-keep-their-dedup-window",
    steps: [{ files: { "t.datasource": landing(["id UInt32"], "id", 'ENGINE_SETTINGS "non_replicated_deduplication_window = 5, index_granularity = 1024"\n') }, tag: "e1" }],
  },
  // Refusals: what the plan finds that the project validator does not.
  {
    name: "error-mv-cycle",
    steps: [{
      files: {
        "a.datasource": landing(["id UInt32"], "id"),
        "b.datasource": landing(["id UInt32"], "id"),
        "a_to_b.pipe": materialized("ab", "SELECT id FROM a", "b"),
        "b_to_a.pipe": materialized("ba", "SELECT id FROM b", "a"),
      },
      tag: "x1",
    }],
  },
  {
    name: "error-pipes-read-each-other",
    steps: [{
      files: {
        "t.datasource": STAGED_V1,
        "p1.pipe": endpoint("p1", "SELECT * FROM p2"),
        "p2.pipe": endpoint("p2", "SELECT * FROM p1"),
      },
      tag: "x2",
    }],
  },
  {
    name: "error-mv-reads-pipes-in-a-cycle",
    steps: [{
      files: {
        "t.datasource": STAGED_V1,
        "sink.datasource": STAGED_V1,
        "p1.pipe": endpoint("p1", "SELECT * FROM p2"),
        "p2.pipe": endpoint("p2", "SELECT * FROM p1"),
        "mv.pipe": materialized("mv", "SELECT id, v FROM p1", "sink"),
      },
      tag: "x3",
    }],
  },
  {
    name: "error-unknown-and-qualified-resources",
    steps: [{
      files: {
        "t.datasource": STAGED_V1,
        "unknown.pipe": endpoint("u", "SELECT * FROM nowhere"),
        "qualified.pipe": endpoint("q", "SELECT * FROM other_db.t"),
        "service.pipe": endpoint("s", "SELECT * FROM tinybird.no_such_service"),
        "fine.pipe": endpoint("f", "SELECT * FROM t"),
      },
      tag: "x4",
    }],
  },
  {
    name: "error-mv-reads-unknown-table",
    steps: [{
      files: { "sink.datasource": STAGED_V1, "mv.pipe": materialized("mv", "SELECT id, v FROM nowhere", "sink") },
      tag: "x5",
    }],
  },
  {
    name: "error-template-refuses-to-render",
    steps: [{
      files: {
        "t.datasource": STAGED_V1,
        "sink.datasource": STAGED_V1,
        "refused.pipe": `NODE r\nSQL >\n    %\n    SELECT * FROM t {{ error('never served') }}\n\nTYPE endpoint\n`,
        "mv.pipe": `NODE m\nSQL >\n    %\n    SELECT id, v FROM t {{ error('never materialized') }}\n\nTYPE materialized\nDATASOURCE sink\n`,
      },
      tag: "x6",
    }],
  },
  {
    name: "error-endpoint-template-refuses-to-render",
    steps: [{
      files: {
        "t.datasource": STAGED_V1,
        "refused.pipe": `NODE r\nSQL >\n    %\n    SELECT * FROM t {{ error('never served') }}\n\nTYPE endpoint\n`,
        "fine.pipe": endpoint("f", "SELECT * FROM t"),
      },
      tag: "x8",
    }],
  },
  {
    name: "error-endpoint-reads-materialized-pipe",
    steps: [{
      files: {
        "t.datasource": STAGED_V1,
        "sink.datasource": STAGED_V1,
        "mv.pipe": materialized("mv", "SELECT id, v FROM t", "sink"),
        "reader.pipe": endpoint("reader", "SELECT * FROM mv"),
      },
      tag: "x7",
    }],
  },
];
