// `tern check` in-process: the fixture projects pass, broken copies report each
// problem with its file, line and column, --json gives one object per file.
// The validator's conformance table (test/unit/deploy/validator-cases.ts) runs
// here from disk too: test/workers/deploy-validation.test.ts runs it through
// /v1/deploy, so both report the same problems for the same files.
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../../cli/run.js";
import type { CliIO } from "../../../cli/command.js";
import { asDeployErrors, VALIDATOR_CASES } from "../../unit/deploy/validator-cases.js";

const FIXTURES = join(import.meta.dirname, "../../fixtures/projects");

async function tern(args: string[], cwd: string): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = {
    out: (t) => out.push(...t.replace(/\n$/, "").split("\n")),
    err: (t) => err.push(...t.replace(/\n$/, "").split("\n")),
    cwd,
    env: {},
    errIsTTY: false,
    fetch: () => Promise.reject(new Error("tern check must not use the network")),
  };
  const code = await runCli(args, io);
  return { code, out, err };
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "tern-check-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** `files` (path → text) written to a fresh folder. */
async function project(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(tmp, name);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

/** A copy of the `logs` fixture plus `files` (path → text), in a fresh folder. */
async function brokenCopy(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(tmp, name);
  await cp(join(FIXTURES, "logs"), dir, { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

describe("tern check on the fixture projects", () => {
  const expected: Record<string, string> = {
    ecommerce: "15 datafiles checked (8 datasources, 4 pipes, 3 connections): no errors",
    iot: "12 datafiles checked (4 datasources, 6 pipes, 2 connections): no errors",
    llm_usage: "7 datafiles checked (3 datasources, 4 pipes): no errors",
    logs: "7 datafiles checked (2 datasources, 4 pipes, 1 connection): no errors",
    tested_shop: "5 datafiles checked (2 datasources, 3 pipes): no errors",
    web_analytics: "10 datafiles checked (4 datasources, 6 pipes): no errors",
  };

  it("covers every fixture project", () => {
    expect(readdirSync(FIXTURES).sort()).toEqual(Object.keys(expected).sort());
  });

  for (const [project, summary] of Object.entries(expected)) {
    it(`passes ${project}`, async () => {
      expect(await tern(["check", join(FIXTURES, project)], tmp)).toEqual({ code: 0, out: [summary], err: [] });
    });
  }

  it("checks the current folder by default, and --cwd sets it", async () => {
    expect(await tern(["check"], join(FIXTURES, "logs"))).toEqual({ code: 0, out: [expected.logs], err: [] });
    expect(await tern(["check", "--cwd", join(FIXTURES, "iot")], tmp)).toEqual({ code: 0, out: [expected.iot], err: [] });
    expect(await tern(["check", "llm_usage", "--cwd", FIXTURES], tmp)).toEqual({ code: 0, out: [expected.llm_usage], err: [] });
  });

  it("prints one JSON array with an object per file", async () => {
    const { code, out } = await tern(["check", "--json", join(FIXTURES, "logs")], tmp);
    expect(code).toBe(0);
    const results = JSON.parse(out.join("\n")) as Array<{ file: string; kind: string; ok: boolean; errors: unknown[] }>;
    expect(results.map((r) => [r.file, r.kind, r.ok, r.errors])).toEqual([
      ["datasources/logs.datasource", "datasource", true, []],
      ["datasources/logs_daily_dimensions.datasource", "datasource", true, []],
      ["endpoints/generic_counter.pipe", "pipe", true, []],
      ["endpoints/log_explorer.pipe", "pipe", true, []],
      ["materializations/logs_daily_dimensions_mv.pipe", "pipe", true, []],
      ["sinks/errors_to_s3.pipe", "pipe", true, []],
      ["connections/logs_bucket.connection", "connection", true, []],
    ]);
  });
});

describe("tern check on broken projects", () => {
  it("reports each problem with file, line and column, and exits 1", async () => {
    const dir = await brokenCopy("broken", {
      "datasources/bad_type.datasource": 'SCHEMA >\n    `a` Strin,\n    `b` Int32\n\nENGINE "MergeTree"\n',
      "datasources/kafka_ghost.datasource": "SCHEMA >\n    `a` String\n\nKAFKA_CONNECTION_NAME nokafka\nKAFKA_TOPIC t\n",
      "pipes/missing_table.pipe": "NODE first\nSQL >\n    SELECT * FROM logs\n\nNODE second\nSQL >\n    SELECT level, count() AS c\n    FROM   nope\n    GROUP BY level\n\nTYPE endpoint\n",
      "pipes/bad_template.pipe": "NODE t\nSQL >\n    %\n    SELECT * FROM logs WHERE level = {{ String(level, \n\nTYPE endpoint\n",
      "pipes/mv_ghost.pipe": "NODE m\nSQL >\n    SELECT level FROM logs\n\nTYPE materialized\nDATASOURCE ghost\n",
      "pipes/copy_ghost.pipe": "NODE a\nSQL >\n    SELECT 1\n\nTYPE copy\nTARGET_DATASOURCE nowhere\n",
      "pipes/forward_ref.pipe": "NODE a\nSQL >\n    SELECT * FROM b\n\nNODE b\nSQL >\n    SELECT 1\n",
      // Required params without defaults get samples in check mode: no error.
      "pipes/required_ok.pipe": "NODE a\nSQL >\n    %\n    SELECT {{ Int32(n, required=True) }} AS n, {{ String(s) }} AS s FROM logs\n\nTYPE endpoint\n",
      // Skipped folders.
      "node_modules/pkg/junk.datasource": "garbage",
      ".git/junk.pipe": "garbage",
      ".tern/junk.pipe": "garbage",
    });
    expect(await tern(["check"], dir)).toEqual({
      code: 1,
      out: [
        "datasources/bad_type.datasource:2:9: invalid type for column `a`: unknown type `Strin`",
        "datasources/kafka_ghost.datasource:4:1: connection 'nokafka' is not in the project",
        "pipes/bad_template.pipe:4:1: node 't': Missing end expression }} at <string>:2",
        "pipes/copy_ghost.pipe:6:1: copy node 'a' targets datasource 'nowhere', which is not in the project",
        "pipes/forward_ref.pipe:3:19: node 'a': Node 'a' references node 'b', which is defined after it",
        "pipes/missing_table.pipe:8:12: node 'second': Resource 'nope' not found",
        "pipes/mv_ghost.pipe:6:1: materialized node 'm' writes to datasource 'ghost', which is not in the project",
        "15 datafiles checked (4 datasources, 10 pipes, 1 connection): 7 errors in 7 files",
      ],
      err: [],
    });
  });

  it("renders materialized pipes with defaults only: a required param without one fails", async () => {
    const dir = await brokenCopy("mv-param", {
      "datasources/levels.datasource": "SCHEMA >\n    `level` String\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"level\"\n",
      "pipes/levels_mv.pipe": "NODE m\nSQL >\n    %\n    SELECT level FROM logs WHERE level = {{ String(lvl, required=True) }}\n\nTYPE materialized\nDATASOURCE levels\n",
    });
    const { code, out } = await tern(["check"], dir);
    expect(code).toBe(1);
    expect(out[0]).toMatch(/^pipes\/levels_mv\.pipe:3:1: node 'm': Template Syntax Error: Required parameter is not defined/);
    expect(out.at(-1)).toBe("9 datafiles checked (3 datasources, 5 pipes, 1 connection): 1 error in 1 file");
  });

  it("refuses datafile values that would paste SQL into DDL, at the value, offline", async () => {
    const dir = await brokenCopy("ddl-values", {
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
    });
    expect(await tern(["check"], dir)).toEqual({
      code: 1,
      out: [
        "datasources/evil.datasource:3:24: DEFAULT of column `v`: subqueries are not allowed in a DDL value",
        "datasources/evil.datasource:6:5: TYPE of index `idx`: unknown index type `hypothesis`; expected one of minmax, set, bloom_filter, ngrambf_v1, tokenbf_v1, text",
        "datasources/evil.datasource:9:20: ENGINE_SORTING_KEY: function `file` is not allowed: it reads files on the ClickHouse host",
        "datasources/evil.datasource:10:12: ENGINE_TTL: `;` is not allowed: a DDL value is one expression, not a statement",
        "datasources/evil.datasource:11:17: ENGINE_SETTINGS: `disk` is not a MergeTree setting a datasource may change (docs/deployments.md lists the ones it may)",
        "8 datafiles checked (3 datasources, 4 pipes, 1 connection): 5 errors in 1 file",
      ],
      err: [],
    });
  });

  it("reports a name used twice by one kind", async () => {
    const dir = await brokenCopy("dup", { "more/logs.datasource": "SCHEMA >\n    `a` String\n" });
    const { code, out } = await tern(["check"], dir);
    expect(code).toBe(1);
    expect(out[0]).toBe("more/logs.datasource:1:1: the name 'logs' is already used by datasources/logs.datasource");
  });

  it("gives the errors in --json too, exit code 1", async () => {
    const dir = await brokenCopy("json", { "pipes/missing.pipe": "NODE a\nSQL >\n    SELECT * FROM nope\n" });
    const { code, out } = await tern(["check", "--json"], dir);
    expect(code).toBe(1);
    const results = JSON.parse(out.join("\n")) as Array<{ file: string; ok: boolean; errors: unknown[] }>;
    expect(results.filter((r) => !r.ok)).toEqual([
      {
        file: "pipes/missing.pipe",
        kind: "pipe",
        ok: false,
        errors: [{ line: 3, column: 19, message: "node 'a': Resource 'nope' not found" }],
        warnings: [],
      },
    ]);
  });

  it("fails on a folder without datafiles, and on a missing folder", async () => {
    const empty = join(tmp, "empty");
    await mkdir(empty);
    expect(await tern(["check"], empty)).toEqual({ code: 1, out: [], err: [`No datafiles (.datasource, .pipe, .connection) under ${empty}`] });
    expect(await tern(["check", "nowhere"], empty)).toEqual({ code: 1, out: [], err: [`tern check: no such folder: ${join(empty, "nowhere")}`] });
  });

  it("exits 2 on a usage mistake", async () => {
    const { code, err } = await tern(["check", "--nope"], tmp);
    expect(code).toBe(2);
    expect(err[0]).toBe("tern check: Unknown option '--nope'");
    expect(await tern(["check", "a", "b"], tmp)).toMatchObject({ code: 2, err: ["tern check: unexpected argument 'b'", "", "Run `tern check --help` for its usage."] });
  });
});

describe("tern check on the project validator's conformance table", () => {
  VALIDATOR_CASES.forEach((c, i) => {
    it(c.name, async () => {
      const { code, out, err } = await tern(["check"], await project(`case-${i}`, c.files));
      // Per datafile, its errors then its warnings, as the table lists them in file order.
      const errors = asDeployErrors(c.errors);
      const warnings = asDeployErrors(c.warnings ?? []).map((w) => ({ ...w, error: w.error.replace(/^([^:]+:\d+:\d+: )/, "$1warning: ") }));
      const datafiles = Object.keys(c.files).filter((f) => !f.endsWith(".incl"));
      const expected = datafiles.flatMap((f) => [...errors, ...warnings].filter((p) => p.filename === f).map((p) => p.error));
      expect({ code, problems: out.slice(0, -1), err }).toEqual({ code: c.errors.length > 0 ? 1 : 0, problems: expected, err: [] });
      expect(out.at(-1)).toMatch(c.errors.length > 0 ? / checked \(.*\): \d+ errors? in \d+ files?$/ : / checked \(.*\): no errors$/);

      // --json: the same problems, an object per datafile (`file` set on a problem found in an INCLUDEd fragment).
      const json = await tern(["check", "--json"], join(tmp, `case-${i}`));
      const results = JSON.parse(json.out.join("\n")) as Array<{ file: string; ok: boolean; errors: Array<{ file?: string; line: number; column: number; message: string }> }>;
      expect(results.map((r) => r.file)).toEqual(datafiles);
      const reported = results.flatMap((r) => r.errors.map((e) => ({ filename: r.file, error: `${e.file ?? r.file}:${e.line}:${e.column}: ${e.message}` })));
      expect({ code: json.code, reported }).toEqual({ code, reported: errors });
    });
  });
});
