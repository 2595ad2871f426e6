// A workspace admin's deploy runs DDL with the platform's rights, so what a
// datafile puts into that DDL is parsed, never pasted: each attack below is
// refused with 400 and the file and line of the value, before anything is
// created. Another workspace's table is still there with its rows, the
// attacker's database holds no table, and no deployment is recorded.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { testClickHouse } from "./helpers/clickhouse.js";
import { api, createWorkspace, deploy } from "./helpers/api.js";
import { liveManifest } from "../../workers/catalog/live-manifest.js";
import { catalogClient } from "../../workers/catalog/client.js";

const SECRETS = `SCHEMA >
    \`id\` String,
    \`secret\` String

ENGINE MergeTree
ENGINE_SORTING_KEY id
`;

const EVENTS = `SCHEMA >
    \`id\` String,
    \`ts\` DateTime,
    \`v\` UInt64

ENGINE MergeTree
ENGINE_SORTING_KEY id, ts
`;

let victim: string;
let attacker: { id: string; token: string };
let attackerDb: string;

async function rows<T>(query: string): Promise<T[]> {
  const rs = await testClickHouse().query({ query, format: "JSONEachRow" });
  return rs.json<T>();
}

/** The victim's rows, and the attacker's tables, deployments and scratch databases: what must not change. */
async function aftermath() {
  return {
    victimRows: await rows<{ id: string; secret: string }>(`SELECT id, secret FROM ${victim} ORDER BY id`),
    attackerTables: (await rows<{ name: string }>(`SELECT name FROM system.tables WHERE database = '${attackerDb}'`)).map((r) => r.name),
    scratchDatabases: (await rows<{ name: string }>(`SELECT name FROM system.databases WHERE startsWith(name, '${attackerDb}_check_')`)).length,
    // include_deleted: failed and rollback-kept deployments too (the default list leaves them out).
    deployments: ((await (await api("/v1/deployments?include_deleted=true", { token: attacker.token })).json()) as { deployments: unknown[] }).deployments.length,
  };
}

const UNTOUCHED = () => ({
  victimRows: [{ id: "1", secret: "s3cr3t" }, { id: "2", secret: "hunter2" }],
  attackerTables: [],
  scratchDatabases: 0,
  deployments: 0,
});

beforeAll(async () => {
  const owner = await createWorkspace("victim");
  const deployed = await deploy({ "secrets.datasource": SECRETS }, "auto_promote=true", owner.token);
  if (deployed.status !== 200) throw new Error(JSON.stringify(deployed.body));
  const live = await liveManifest(env, owner.id);
  victim = `${live!.manifest.database}.${live!.manifest.datasources.secrets!.table}`;
  await testClickHouse().command({ query: `INSERT INTO ${victim} VALUES ('1', 's3cr3t'), ('2', 'hunter2')` });
  attacker = await createWorkspace("attacker");
  attackerDb = (await catalogClient(env).workspace(attacker.id).info())!.database;
});

describe("datafile values that land in DDL", () => {
  const cases: [string, () => Record<string, string>, string][] = [
    ["a second statement after ENGINE_TTL", () => ({
      "evil.datasource": `${EVENTS}ENGINE_TTL "ts + INTERVAL 1 DAY; DROP TABLE ${victim}"\n`,
    }), "evil.datasource:8:12: ENGINE_TTL: `;` is not allowed: a DDL value is one expression, not a statement"],
    ["a DEFAULT reading another workspace's table", () => ({
      "evil.datasource": EVENTS.replace("`v` UInt64", `\`v\` UInt64,\n    \`leak\` String DEFAULT (SELECT any(secret) FROM ${victim})`),
    }), "evil.datasource:5:27: DEFAULT of column `leak`: subqueries are not allowed in a DDL value"],
    ["a sorting key reading a dictionary", () => ({
      "evil.datasource": EVENTS.replace("ENGINE_SORTING_KEY id, ts", "ENGINE_SORTING_KEY id, dictGet('other.d', 'x', id)"),
    }), "evil.datasource:7:20: ENGINE_SORTING_KEY: function `dictGet` is not allowed"],
    ["a partition key reading a file", () => ({
      "evil.datasource": `${EVENTS}ENGINE_PARTITION_KEY length(file('/etc/passwd'))\n`,
    }), "evil.datasource:8:22: ENGINE_PARTITION_KEY: function `file` is not allowed: it reads files on the ClickHouse host"],
    ["a TTL reading another table's schema", () => ({
      "evil.datasource": `${EVENTS}ENGINE_TTL ts + toIntervalDay(hasColumnInTable('${victim.split(".")[0]}', 'x', 'secret'))\n`,
    }), "evil.datasource:8:12: ENGINE_TTL: function `hasColumnInTable` is not allowed: it reads another table's schema"],
    ["a disk defined in ENGINE_SETTINGS", () => ({
      "evil.datasource": `${EVENTS}ENGINE_SETTINGS disk = disk(type = local, path = '/')\n`,
    }), "evil.datasource:8:17: ENGINE_SETTINGS: `disk` is not a MergeTree setting a datasource may change (docs/deployments.md lists the ones it may)"],
    ["an index over another workspace's table", () => ({
      "evil.datasource": `${EVENTS}INDEXES >\n    idx (SELECT count() FROM ${victim}) TYPE minmax GRANULARITY 1\n`,
    }), "evil.datasource:9:5: index `idx`: subqueries are not allowed in a DDL value"],
    ["a table behind a Unicode space in a key", () => ({
      "evil.datasource": EVENTS.replace("ENGINE_SORTING_KEY id, ts", `ENGINE_SORTING_KEY id, (SELECT\u00a0secret\u00a0FROM\u00a0${victim})`),
    }), "evil.datasource:7:20: ENGINE_SORTING_KEY: subqueries are not allowed in a DDL value"],
    ["a FORWARD_QUERY reading another workspace's table", () => ({
      "evil.datasource": `${EVENTS}FORWARD_QUERY >\n    SELECT id, ts, v FROM ${victim}\n`,
    }), "evil.datasource:9:1: FORWARD_QUERY: tables are not allowed in a DDL value"],
  ];
  for (const [what, files, error] of cases) {
    it(`refuses ${what} with 400, creating nothing`, async () => {
      const { status, body } = await deploy(files(), "auto_promote=true", attacker.token);
      expect([status, body.result, body.errors]).toEqual([400, "failed", [{ filename: "evil.datasource", error }]]);
      expect(await aftermath()).toEqual(UNTOUCHED());
    });
  }

  it("refuses the same on /v1/build, leaving no scratch database", async () => {
    const res = await api("/v1/build", {
      method: "POST",
      token: attacker.token,
      body: (() => {
        const form = new FormData();
        form.append("data_project://", new File([`${EVENTS}ENGINE_TTL "ts + INTERVAL 1 DAY; DROP TABLE ${victim}"\n`], "evil.datasource"));
        return form;
      })(),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: unknown[] }).errors).toEqual([
      { filename: "evil.datasource", error: "evil.datasource:8:12: ENGINE_TTL: `;` is not allowed: a DDL value is one expression, not a statement" },
    ]);
    expect(await aftermath()).toEqual(UNTOUCHED());
  });
});

describe("SQL a deploy runs with the platform's rights", () => {
  const mv = (sql: string) => `NODE copy\nSQL >\n    ${sql}\n\nTYPE materialized\nDATASOURCE sink\n`;
  const SINK = "SCHEMA >\n    `id` String\n\nENGINE MergeTree\nENGINE_SORTING_KEY id\n";

  // The project validator resolves every table the tokenizer sees (it lexes as ClickHouse does) and
  // says where it is written; the read guard on ClickHouse's parse stands behind it
  // (test/node/datafiles/ddl-guard.test.ts removes the first line).
  const notFound = (column: number) => () => `copy.pipe:3:${column}: node 'copy': Resource '${victim}' not found`;
  const refusedMvs: [string, () => string, () => string][] = [
    ["another workspace's table behind a Unicode space", () => `SELECT secret AS id FROM\u00a0${victim}`, notFound(30)],
    ["another workspace's table in curly quotes", () => `SELECT secret AS id FROM \u201c${victim.split(".")[0]}\u201d.\u201c${victim.split(".")[1]}\u201d`, notFound(30)],
    ["another workspace's table in a subquery", () => `SELECT id FROM events WHERE id IN (SELECT secret FROM ${victim})`, notFound(59)],
    ["a second statement", () => `SELECT id FROM events; DROP TABLE ${victim}`, () => "copy.pipe:3:26: node 'copy': Multi-statements are not allowed"],
  ];
  for (const [what, sql, error] of refusedMvs) {
    it(`refuses a materialized view reading ${what} with 400, creating nothing`, async () => {
      const { status, body } = await deploy(
        { "events.datasource": EVENTS, "sink.datasource": SINK, "copy.pipe": mv(sql()) }, "auto_promote=true", attacker.token,
      );
      expect([status, body.result]).toEqual([400, "failed"]);
      expect(body.errors).toEqual([{ filename: "copy.pipe", error: error() }]);
      expect(await aftermath()).toEqual(UNTOUCHED());
    });
  }

  it("refuses a materialized view that reads a file on the ClickHouse host, at the node's line", async () => {
    const { status, body } = await deploy(
      { "events.datasource": EVENTS, "sink.datasource": SINK, "copy.pipe": mv("SELECT file('/etc/hostname') AS id FROM events") }, "auto_promote=true", attacker.token,
    );
    expect([status, body.errors]).toEqual([400, [{
      filename: "copy.pipe",
      error: "copy.pipe:3:1: node 'copy': materialized view: Function 'file' is not allowed: it reads files on the ClickHouse host",
    }]]);
    expect(await aftermath()).toEqual(UNTOUCHED());
  });

  it("refuses an endpoint whose validation would read a file, without showing the file", async () => {
    const endpoint = "NODE leak\nSQL >\n    SELECT toUInt8(file('/etc/hostname')) AS x\n\nTYPE endpoint\n";
    const { status, body } = await deploy({ "events.datasource": EVENTS, "leak.pipe": endpoint }, "auto_promote=true", attacker.token);
    expect([status, body.errors]).toEqual([400, [{
      filename: "leak.pipe",
      error: "leak.pipe:3:1: node 'leak': Function 'file' is not allowed: it reads files on the ClickHouse host",
    }]]);
    expect(await aftermath()).toEqual(UNTOUCHED());
  });
});

describe("legitimate values deploy", () => {
  it("deploys TTLs with DELETE WHERE, keys, codecs, indexes, settings and a materialized view", async () => {
    const ws = await createWorkspace("legit");
    const ds = `SCHEMA >
    \`id\` String,
    \`ts\` DateTime CODEC(Delta, ZSTD(1)),
    \`v\` UInt64 DEFAULT 0,
    \`kind\` LowCardinality(String) DEFAULT 'x'

INDEXES >
    idx_kind kind TYPE set(100) GRANULARITY 4
    idx_id lower(id) TYPE bloom_filter(0.01) GRANULARITY 1

ENGINE MergeTree
ENGINE_PARTITION_KEY toYYYYMM(ts)
ENGINE_SORTING_KEY id, cityHash64(id), ts
ENGINE_SAMPLING_KEY cityHash64(id)
ENGINE_TTL ts + INTERVAL 1 DAY DELETE WHERE kind = 'tmp', ts + INTERVAL 90 DAY
ENGINE_SETTINGS index_granularity = 4096, ttl_only_drop_parts = 0
`;
    const daily = "SCHEMA >\n    `day` Date,\n    `n` AggregateFunction(count)\n\nENGINE AggregatingMergeTree\nENGINE_SORTING_KEY day\n";
    const mvPipe = "NODE d\nSQL >\n    SELECT toDate(ts) AS day, countState() AS n FROM events GROUP BY day\n\nTYPE materialized\nDATASOURCE daily\n";
    const { status, body } = await deploy({ "events.datasource": ds, "daily.datasource": daily, "daily_mv.pipe": mvPipe }, "auto_promote=true", ws.token);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.deployment).toMatchObject({ status: "data_ready", live: true });
  });
});

describe("queries the deploy validates", () => {
  it("validates an endpoint reading tinybird.* against the workspace's own service views", async () => {
    const ws = await createWorkspace("stats");
    const endpoint = "NODE calls\nSQL >\n    SELECT pipe_name, count() AS calls FROM tinybird.pipe_stats_rt GROUP BY pipe_name\n\nTYPE endpoint\n";
    const { status, body } = await deploy({ "events.datasource": EVENTS, "calls.pipe": endpoint }, "auto_promote=true", ws.token);
    expect(status, JSON.stringify(body)).toBe(200);
  });

  it("refuses an endpoint reading another tinybird.* name", async () => {
    const endpoint = "NODE x\nSQL >\n    SELECT * FROM tinybird.no_such_service\n\nTYPE endpoint\n";
    const { status, body } = await deploy({ "events.datasource": EVENTS, "x.pipe": endpoint }, "auto_promote=true", attacker.token);
    expect([status, body.errors]).toEqual([400, [{ filename: "x.pipe", error: "x.pipe:3:19: node 'x': Resource 'tinybird.no_such_service' not found" }]]);
    expect(await aftermath()).toEqual(UNTOUCHED());
  });
});

describe("DELETE with delete_condition", () => {
  let ws: { id: string; token: string };
  let table: string;
  beforeAll(async () => {
    ws = await createWorkspace("deleter");
    expect((await deploy({ "events.datasource": EVENTS }, "auto_promote=true", ws.token)).status).toBe(200);
    const live = await liveManifest(env, ws.id);
    table = `${live!.manifest.database}.${live!.manifest.datasources.events!.table}`;
    await testClickHouse().command({ query: `INSERT INTO ${table} SELECT toString(number), now(), number FROM numbers(10)` });
  });

  const del = (condition: string, dryRun = false) => api("/v0/datasources/events/delete", {
    method: "POST",
    token: ws.token,
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ delete_condition: condition, ...(dryRun ? { dry_run: "true" } : {}) }),
  });

  const refused: [string, () => string, string][] = [
    ["a second statement", () => `v > 100; DROP TABLE ${victim}`, "Invalid delete_condition: `;` is not allowed: a DDL value is one expression, not a statement"],
    ["a subquery on another workspace's table", () => `id IN (SELECT id FROM ${victim})`, "Invalid delete_condition: subqueries are not allowed in a DDL value"],
    ["another workspace's table by name", () => `id IN ${victim}`, "Invalid delete_condition: `IN <name>` reads a table or a set; list the values in parentheses instead"],
    ["file()", () => "id = file('/etc/hostname')", "Invalid delete_condition: function `file` is not allowed: it reads files on the ClickHouse host"],
    ["a Unicode-spaced subquery", () => `id IN (SELECT\u2003id\u2003FROM\u2003${victim})`, "Invalid delete_condition: subqueries are not allowed in a DDL value"],
    ["a column the datasource does not have", () => "secret = 's3cr3t'", "Invalid delete_condition: `secret` is not a column of this datasource"],
  ];
  for (const [what, condition, error] of refused) {
    it(`refuses ${what} with 400 before anything runs`, async () => {
      const res = await del(condition());
      expect([res.status, await res.json()]).toEqual([400, { error }]);
      expect(await rows(`SELECT toUInt32(count()) AS c FROM ${table}`)).toEqual([{ c: 10 }]);
      expect(await rows(`SELECT toUInt32(count()) AS c FROM ${victim}`)).toEqual([{ c: 2 }]);
    });
  }

  it("starts no job for a refused condition", async () => {
    const jobs = (await (await api("/v0/jobs", { token: ws.token })).json()) as { jobs: Array<{ kind: string }> };
    expect(jobs.jobs.filter((j) => j.kind === "delete_data")).toEqual([]);
  });

  it("counts and deletes with a condition over the datasource's columns", async () => {
    const dry = await del("v >= 5 AND id NOT IN ('7')", true);
    expect(await dry.json()).toEqual({ rows_to_be_deleted: 4 });
    expect((await del("v >= 5 AND id NOT IN ('7')")).status).toBe(200);
    await expect.poll(async () => rows(`SELECT toUInt32(count()) AS c FROM ${table}`), { timeout: 10_000 }).toEqual([{ c: 6 }]);
  });
});
