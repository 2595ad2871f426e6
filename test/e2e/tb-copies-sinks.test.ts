// Tinybird's own CLI, `tb` (PyPI `tinybird`, pinned by test/setup/tinybird-cli.ts),
// running copies and sinks on `npm run dev` and listing their jobs, pointed at
// Tern only by TB_HOST and TB_TOKEN with `--cloud` (without it tb looks for
// Tinybird Local). A project of events, a copy pipe with a date param into
// `daily_totals`, and a CSV sink of that target into the local S3 server; then
// `tb copy run --wait --param [--mode replace]`, `tb sink run --wait --param
// [--mode replace]`, `tb job ls [-k] [-s]`, `tb copy|sink ls`, `tb copy
// pause|resume`, and the refusals tb shows. The copied rows are read back over
// /v0/sql, the file from the S3 server (signed S3 API) as a user would.
//
// tb must never reach Tinybird's servers or PyPI (its version check, its
// telemetry): every tb here runs with HTTP(S)_PROXY set to a local listener
// that records whatever tries to leave (Tern itself is NO_PROXY), and the last
// test checks nothing did, and that the listener does catch tb's outside calls
// when the opt-outs runTb sets are switched off.
//
// Without Python 3.11-3.13 the whole file is skipped, with the reason.
import { createServer, type Server } from "node:net";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AwsClient } from "aws4fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findPython, installTinybirdCli, runTb, TINYBIRD_CLI_VERSION, type TbRun, type TinybirdCli } from "../setup/tinybird-cli.js";
import { deployFiles } from "./helpers/deploy-files.js";
import { sharedWorkspace, type SharedWorkspace } from "./helpers/shared-workspace.js";

const PROJECT: Record<string, string> = {
  "events.datasource": [
    "SCHEMA >",
    "    `day` Date `json:$.day`,",
    "    `customer` String `json:$.customer`,",
    "    `amount` UInt32 `json:$.amount`",
    "",
    'ENGINE "MergeTree"',
    'ENGINE_SORTING_KEY "day, customer"',
    "",
  ].join("\n"),
  "daily_totals.datasource": [
    "SCHEMA >",
    "    `day` Date,",
    "    `customer` String,",
    "    `total` UInt64",
    "",
    'ENGINE "MergeTree"',
    'ENGINE_SORTING_KEY "day, customer"',
    "",
  ].join("\n"),
  // On demand, appending by default; `--param day=` picks the day.
  "copy_day.pipe": [
    "NODE totals",
    "SQL >",
    "    %",
    "    SELECT day, customer, sum(amount) AS total",
    "    FROM events",
    "    WHERE day = {{ Date(day, '2026-01-01') }}",
    "    GROUP BY day, customer",
    "",
    "TYPE COPY",
    "TARGET_DATASOURCE daily_totals",
    "",
  ].join("\n"),
  // The local S3 server's key pair reaches the Worker as these secrets (docs/sinks.md).
  "lake.connection": ["TYPE s3", "S3_REGION us-east-1", 'S3_ACCESS_KEY {{ tb_secret("S3_ACCESS_KEY") }}', 'S3_SECRET {{ tb_secret("S3_SECRET") }}', ""].join("\n"),
  // One file per run, named `totals.csv`; strategy `new` (the default) never overwrites it.
  "export_totals.pipe": [
    "NODE export",
    "SQL >",
    "    %",
    "    SELECT day, customer, total FROM daily_totals",
    "    WHERE total >= {{ UInt64(min_total, 0) }}",
    "    ORDER BY day, customer",
    "",
    "TYPE SINK",
    "EXPORT_CONNECTION_NAME lake",
    "EXPORT_BUCKET_URI s3://tern-local/tb-cli/",
    "EXPORT_FILE_TEMPLATE totals",
    "EXPORT_FORMAT csv",
    "EXPORT_SCHEDULE @on-demand",
    "",
  ].join("\n"),
};

const EVENTS = [
  { day: "2026-01-01", customer: "a", amount: 3 },
  { day: "2026-01-01", customer: "a", amount: 4 },
  { day: "2026-01-01", customer: "b", amount: 5 },
  { day: "2026-01-02", customer: "a", amount: 10 },
  { day: "2026-01-02", customer: "c", amount: 1 },
];

const python = findPython();

let platform: SharedWorkspace;
let cli: TinybirdCli;
let work: string;
let s3: { url: string; bucket: string; aws: AwsClient };
/** What tried to leave through the proxy: the first line of each connection (`CONNECT pypi.org:443 HTTP/1.0`). */
const outbound: string[] = [];
let proxy: Server;
let proxyUrl: string;

/** The job ids of the runs below, in the order they were created. */
const jobs: Array<{ id: string; kind: "copy" | "sink"; status: "done" | "error" }> = [];

function tb(args: string[], env: Record<string, string> = {}): Promise<TbRun> {
  const proxied = { HTTP_PROXY: proxyUrl, HTTPS_PROXY: proxyUrl, http_proxy: proxyUrl, https_proxy: proxyUrl, NO_PROXY: "localhost,127.0.0.1", no_proxy: "localhost,127.0.0.1" };
  return runTb(cli, ["--cloud", ...args], {
    cwd: join(work, "project"),
    home: join(work, "home"),
    env: { ...proxied, TB_HOST: platform.baseUrl, TB_TOKEN: platform.adminToken, ...env },
  });
}

/** tb's own masking of a token it prints: its first 4 and last 8 characters. */
const masked = (token: string) => `${token.slice(0, 4)}...${token.slice(-8)}`;

/** The job id out of tb's `Job API URL: <host>/v0/jobs/<id>?token=…` line. */
function jobIdOf(run: TbRun): string {
  const m = /^Job API URL: http:\/\/localhost:\d+\/v0\/jobs\/([0-9a-f-]{36})\?token=/m.exec(run.out);
  if (!m) throw new Error(`no job URL in tb's output:\n${run.out}\n${run.err}`);
  return m[1]!;
}

/** What `tb copy run <pipe> --wait` prints when the run succeeds. */
function copyRunOutput(pipe: string, target: string, id: string): string {
  return [
    "",
    `» Running on-demand copy '${pipe}'`,
    `Job API URL: ${platform.baseUrl}/v0/jobs/${id}?token=${masked(platform.adminToken)}`,
    // tb's link to Tinybird's UI, made from the host and the workspace name Tern answers; only printed.
    `Jobs URL: http://cloud.tinybird.co/local/${platform.port}/${platform.workspace.name}/jobs`,
    `✓ Copy to '${target}' job created`,
    "",
    "",
    "» Copying data ",
    `✓ Data copied to '${target}'`,
    "",
  ].join("\n");
}

/** What `tb sink run <pipe> --wait` prints when the run succeeds. */
function sinkRunOutput(pipe: string, id: string): string {
  return [
    "",
    `» Running sink '${pipe}'`,
    `Job API URL: ${platform.baseUrl}/v0/jobs/${id}?token=${masked(platform.adminToken)}`,
    `Jobs URL: http://cloud.tinybird.co/local/${platform.port}/${platform.workspace.name}/jobs`,
    "✓ Sink job created",
    "",
    "",
    "» Exporting data ",
    "✓ Data exported",
    "",
  ].join("\n");
}

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${platform.baseUrl}${path}`, { headers: { authorization: `Bearer ${platform.adminToken}` } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

const totals = async () => (await api<{ data: unknown[] }>(`/v0/sql?q=${encodeURIComponent("SELECT day, customer, total FROM daily_totals ORDER BY day, customer FORMAT JSON")}`)).data;

async function s3Keys(prefix: string): Promise<string[]> {
  const res = await s3.aws.fetch(`${s3.url}/${s3.bucket}?list-type=2&prefix=${encodeURIComponent(prefix)}`);
  const body = await res.text();
  if (res.status !== 200) throw new Error(`S3 list ${prefix}: ${res.status} ${body}`);
  return [...body.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]!).sort();
}

async function s3Text(key: string): Promise<string> {
  const res = await s3.aws.fetch(`${s3.url}/${s3.bucket}/${key}`);
  const body = await res.text();
  if (res.status !== 200) throw new Error(`S3 get ${key}: ${res.status} ${body}`);
  return body;
}

/** `tb job ls` prints one `key: value` block per job between dashed lines when the table is wider than 80 columns. */
function jobBlocks(out: string): Array<Record<string, string>> {
  expect(out.startsWith("** Jobs:\n")).toBe(true);
  return out
    .split(/^-+$/m)
    .slice(1)
    .map((block) => block.trim())
    .filter((block) => block !== "")
    .map((block) => Object.fromEntries(block.split("\n").map((line) => [line.slice(0, line.indexOf(": ")), line.slice(line.indexOf(": ") + 2)])));
}

/** What `tb job ls` shows of a job, from the job's own answer. */
async function shown(id: string, kind: string, status: string) {
  const job = await api<{ created_at: string; updated_at: string }>(`/v0/jobs/${id}`);
  return { id, kind, status, "created at": job.created_at, "updated at": job.updated_at, "job url": `${platform.baseUrl}/v0/jobs/${id}` };
}

const skipReason = python.ok ? "" : ` (skipped: ${python.reason})`;

describe.skipIf(!python.ok)(`Tinybird's CLI tb ${TINYBIRD_CLI_VERSION} against npm run dev: copies, sinks, jobs${skipReason}`, () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "tern-e2e-tb-"));
    proxy = createServer((socket) => {
      socket.once("data", (d) => outbound.push(d.toString("latin1").split("\r\n")[0]!));
      socket.once("data", () => socket.destroy());
      socket.on("error", () => {});
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;

    [platform, cli] = await Promise.all([sharedWorkspace("e2e_tb_copies_sinks"), installTinybirdCli(python)]);
    const m = /^ {2}S3: +(http:\/\/\S+) \(bucket s3:\/\/([^/]+)\/; access key (\S+), secret (\S+)\)$/m.exec(platform.output());
    if (!m) throw new Error(`npm run dev printed no S3 line:\n${platform.output()}`);
    s3 = { url: m[1]!, bucket: m[2]!, aws: new AwsClient({ accessKeyId: m[3]!, secretAccessKey: m[4]!, service: "s3", region: "us-east-1" }) };

    // tb runs in the project's folder, with a HOME of its own.
    await Promise.all([mkdir(join(work, "project")), mkdir(join(work, "home"))]);
    await Promise.all(Object.entries(PROJECT).map(([name, text]) => writeFile(join(work, "project", name), text)));
    await deployFiles(platform, PROJECT);
    const ingest = await fetch(`${platform.baseUrl}/v0/events?name=events&wait=true`, {
      method: "POST",
      headers: { authorization: `Bearer ${platform.adminToken}` },
      body: EVENTS.map((e) => JSON.stringify(e)).join("\n"),
    });
    if (ingest.status !== 200) throw new Error(`events: ${ingest.status} ${await ingest.text()}`);
  }, 600_000);

  afterAll(async () => {
    await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)));
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("tb copy run --wait --param: the day's totals land in the target", async () => {
    const run = await tb(["copy", "run", "copy_day", "--wait", "--param", "day=2026-01-01"]);
    const id = jobIdOf(run);
    expect(run).toEqual({ code: 0, out: copyRunOutput("copy_day", "daily_totals", id), err: "" });
    jobs.push({ id, kind: "copy", status: "done" });
    expect(await totals()).toEqual([
      { day: "2026-01-01", customer: "a", total: 7 },
      { day: "2026-01-01", customer: "b", total: 5 },
    ]);
  });

  it("a second day appends (the pipe's mode)", async () => {
    const run = await tb(["copy", "run", "copy_day", "--wait", "--param", "day=2026-01-02"]);
    const id = jobIdOf(run);
    expect(run).toEqual({ code: 0, out: copyRunOutput("copy_day", "daily_totals", id), err: "" });
    jobs.push({ id, kind: "copy", status: "done" });
    expect(await totals()).toEqual([
      { day: "2026-01-01", customer: "a", total: 7 },
      { day: "2026-01-01", customer: "b", total: 5 },
      { day: "2026-01-02", customer: "a", total: 10 },
      { day: "2026-01-02", customer: "c", total: 1 },
    ]);
  });

  it("tb sink run --wait --param: the CSV lands in the local S3 server with the rows the param keeps", async () => {
    const run = await tb(["sink", "run", "export_totals", "--wait", "--param", "min_total=5"]);
    const id = jobIdOf(run);
    expect(run).toEqual({ code: 0, out: sinkRunOutput("export_totals", id), err: "" });
    jobs.push({ id, kind: "sink", status: "done" });
    expect(await s3Keys("tb-cli/")).toEqual(["tb-cli/totals.csv"]);
    expect(await s3Text("tb-cli/totals.csv")).toBe('"day","customer","total"\n"2026-01-01","a",7\n"2026-01-01","b",5\n"2026-01-02","a",10\n');
  });

  it("tb copy run --mode replace: the target holds only this run's rows", async () => {
    const run = await tb(["copy", "run", "copy_day", "--wait", "--mode", "replace", "--param", "day=2026-01-02"]);
    const id = jobIdOf(run);
    expect(run).toEqual({ code: 0, out: copyRunOutput("copy_day", "daily_totals", id), err: "" });
    jobs.push({ id, kind: "copy", status: "done" });
    expect(await totals()).toEqual([
      { day: "2026-01-02", customer: "a", total: 10 },
      { day: "2026-01-02", customer: "c", total: 1 },
    ]);
    expect((await api<{ statistics: { mode: string } }>(`/v0/jobs/${id}`)).statistics.mode).toBe("replace");
  });

  it("tb sink run --mode replace overwrites the file the pipe's strategy `new` would have kept", async () => {
    const run = await tb(["sink", "run", "export_totals", "--wait", "--mode", "replace"]);
    const id = jobIdOf(run);
    expect(run).toEqual({ code: 0, out: sinkRunOutput("export_totals", id), err: "" });
    jobs.push({ id, kind: "sink", status: "done" });
    expect(await s3Keys("tb-cli/")).toEqual(["tb-cli/totals.csv"]);
    expect(await s3Text("tb-cli/totals.csv")).toBe('"day","customer","total"\n"2026-01-02","a",10\n"2026-01-02","c",1\n');
  });

  it("refusals: tb exits 1 with Tern's message for a pipe that is not a copy or not a sink", async () => {
    expect(await tb(["copy", "run", "nope", "--wait"])).toEqual({
      code: 1,
      out: "\n» Running on-demand copy 'nope'\n",
      err: "Error: Failed creating copy job: The copy pipe 'nope' does not exist in the live deployment\n",
    });
    expect(await tb(["sink", "run", "copy_day", "--wait"])).toEqual({
      code: 1,
      out: "\n» Running sink 'copy_day'\n",
      err: "Error: Failed creating sink job: The sink pipe 'copy_day' does not exist in the live deployment\n",
    });
  }, 120_000);

  it("a param that is not a Date: the job ends in error, tb exits 1 with its reason, the target is untouched", async () => {
    const run = await tb(["copy", "run", "copy_day", "--wait", "--param", "day=notadate"]);
    const id = jobIdOf(run);
    const created = copyRunOutput("copy_day", "daily_totals", id);
    expect(run).toEqual({
      code: 1,
      out: created.slice(0, created.indexOf("» Copying data ") + "» Copying data \n".length),
      err: "Error: Failed creating copy job: Error while running job: Template Syntax Error: Error validating 'notadate' to type Date\n",
    });
    jobs.push({ id, kind: "copy", status: "error" });
    expect(await api(`/v0/jobs/${id}`)).toMatchObject({ status: "error", error: "Template Syntax Error: Error validating 'notadate' to type Date" });
    expect(await totals()).toHaveLength(2);
  });

  it("tb job ls: every run above, newest first, as each job says", async () => {
    const run = await tb(["job", "ls"]);
    expect(run.code, run.err).toBe(0);
    expect(run.err).toBe("");
    const expected = await Promise.all([...jobs].reverse().map((j) => shown(j.id, j.kind, j.status)));
    expect(expected.map((j) => j.kind)).toEqual(["copy", "sink", "copy", "sink", "copy", "copy"]);
    expect(jobBlocks(run.out)).toEqual(expected);
  });

  it("tb job ls -k copy -s done, -s error, -k sink, and -s cancelling (none: Tern's cancel is immediate)", async () => {
    const listed = async (args: string[]) => {
      const run = await tb(["job", "ls", ...args]);
      expect(run.code, run.err).toBe(0);
      return jobBlocks(run.out).map((j) => [j.id, j.kind, j.status]);
    };
    const of = (kind: string, status?: string) =>
      [...jobs].reverse().filter((j) => j.kind === kind && (!status || j.status === status)).map((j) => [j.id, j.kind, j.status]);
    expect(await listed(["-k", "copy", "-s", "done"])).toEqual(of("copy", "done"));
    expect((await listed(["-k", "copy", "-s", "done"])).length).toBe(3);
    expect(await listed(["-s", "error"])).toEqual(of("copy", "error"));
    expect(await listed(["-k", "sink"])).toEqual(of("sink"));
    const none = await tb(["job", "ls", "-s", "cancelling"]);
    const rule = "-".repeat(58);
    expect(none).toEqual({ code: 0, out: `** Jobs:\n${rule}\n| id | kind | status | created at | updated at | job url |\n${rule}\n${rule}\n\n\n`, err: "" });
  }, 120_000);

  it("tb copy ls and tb sink ls: each pipe with the time its deployment went live", async () => {
    const { deployments } = await api<{ deployments: Array<{ live: boolean; updated_at: string }> }>("/v1/deployments");
    const updatedAt = deployments.find((d) => d.live)!.updated_at.slice(0, 19).replace("T", " ");
    const copies = await tb(["copy", "ls", "--format", "json"]);
    expect(copies.code, copies.err).toBe(0);
    expect(JSON.parse(copies.out)).toEqual({ pipes: [{ name: "copy_day", "updated at": updatedAt, nodes: 1 }] });
    const sinks = await tb(["sink", "ls", "--format", "json"]);
    expect(sinks.code, sinks.err).toBe(0);
    expect(JSON.parse(sinks.out)).toEqual({ pipes: [{ name: "export_totals", "updated at": updatedAt, nodes: 1 }] });
  }, 120_000);

  it("tb copy pause and resume: the pipe's schedule says paused, then on-demand again", async () => {
    const status = async () => (await api<{ schedule: { status: string } }>("/v0/pipes/copy_day")).schedule.status;
    expect(await tb(["copy", "pause", "copy_day"])).toEqual({ code: 0, out: "** Pausing copy_day\n** Copy pipe copy_day paused\n", err: "" });
    expect(await status()).toBe("paused");
    expect(await tb(["copy", "resume", "copy_day"])).toEqual({ code: 0, out: "** Resuming copy_day\n** Copy pipe copy_day resumed\n", err: "" });
    expect(await status()).toBe("on-demand");
  }, 120_000);

  it("tb called nothing outside: no connection reached the proxy, which does catch tb's calls out without the opt-outs", async () => {
    expect(outbound).toEqual([]);
    const run = await tb(["job", "ls", "-k", "sink"], { TB_VERSION_WARNING: "1", TB_CLI_TELEMETRY_OPTOUT: "0" });
    expect(run.code, run.err).toBe(0);
    // tb's version check asks PyPI; its telemetry goes to Tinybird (unless it finds itself in CI).
    expect(outbound).toContain("CONNECT pypi.org:443 HTTP/1.0");
    expect(outbound.every((line) => /^CONNECT (pypi\.org|[a-z0-9.-]+\.tinybird\.co):443 /.test(line))).toBe(true);
  });
});
