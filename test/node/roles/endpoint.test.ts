// An API endpoint call as a role function in Node: the pipe comes from a
// manifest that shared/deploy builds from datafile text, and every ClickHouse
// call goes through the injected (real) fetch to the test run's local server.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { answerPipe } from "../../../workers/endpoints/pipe-call.js";
import { ENDPOINT_FORMATS } from "../../../shared/format/formats.js";
import type { LiveDeployment } from "../../../workers/catalog/client.js";
import type { RequestInput } from "../../../workers/endpoints/params.js";
import { ForbiddenError, NotFoundError, TernError } from "../../../shared/errors.js";
import { ClickHouseFetch, data, deployWorkspace, dropWorkspace, nodePlatform, principal, rows, type TestPlatform } from "./helpers.js";
import { FILES, TEN_ROWS } from "./project.js";

const ch = new ClickHouseFetch();
let workspaceId: string;
let live: LiveDeployment;

beforeAll(async () => {
  const { platform } = nodePlatform(ch);
  ({ workspaceId, live } = await deployWorkspace(platform, FILES));
  const table = `${live.manifest.database}.${live.manifest.datasources.events!.table}`;
  await platform.clickhouse.admin.command({ query: TEN_ROWS.replace("{table}", table) });
});

afterAll(async () => {
  if (live) await dropWorkspace(nodePlatform(ch).platform, live);
});

function input(params: Record<string, string> = {}): RequestInput {
  const reserved = new Set(["q", "token"]);
  return { all: params, params: Object.fromEntries(Object.entries(params).filter(([k]) => !reserved.has(k))) };
}

const call = { url: "http://tern.test/v0/pipes/top_pages.json", method: "GET", userAgent: "role-test" };

function callPipe(pipe: string, params: Record<string, string> = {}, who = principal(workspaceId), requestId?: string) {
  const { platform, settled } = nodePlatform(ch, requestId ? { requestId } : {});
  const response = answerPipe(platform, who, { live, pipe, format: ENDPOINT_FORMATS.json!, input: input(params), call });
  return { platform, response, settled };
}

describe("answerPipe", () => {
  it("answers the pipe the datafiles describe, reading through the injected fetch as the workspace's reader", async () => {
    const requestId = crypto.randomUUID();
    const { response } = callPipe("top_pages", {}, principal(workspaceId), requestId);
    const res = await response;
    expect(res.status).toBe(200);
    expect(await data(res)).toEqual([
      { pathname: "/p0", views: 4, total: 18 },
      { pathname: "/p1", views: 3, total: 12 },
      { pathname: "/p2", views: 3, total: 15 },
    ]);
    // One read carried the request id as its query id, as the workspace's reader user.
    const reads = ch.readsOf(requestId);
    expect(reads).toHaveLength(1);
    expect(reads[0]!.sql).toMatch(/FORMAT JSON$/);
    expect(reads[0]!.url.searchParams.get("database")).toBe("tern_sandbox");
  });

  it("renders the templates with the request's params", async () => {
    expect(await data(await callPipe("top_pages", { tenant: "acme", limit: "2" }).response)).toEqual([
      { pathname: "/p0", views: 2, total: 6 },
      { pathname: "/p1", views: 1, total: 4 },
    ]);
  });

  it("lets a JWT's fixed params win over the request's", async () => {
    const jwt = principal(workspaceId, [{ type: "PIPES:READ", resource: "top_pages", fixed_params: { tenant: "globex" } }], { kind: "jwt" });
    expect(await data(await callPipe("top_pages", { tenant: "acme" }, jwt).response)).toEqual([
      { pathname: "/p0", views: 2, total: 12 },
      { pathname: "/p1", views: 2, total: 8 },
      { pathname: "/p2", views: 1, total: 5 },
    ]);
  });

  it("answers q= over the endpoint's result", async () => {
    expect(await data(await callPipe("top_pages", { q: "SELECT sum(views) AS v FROM _" }).response)).toEqual([{ v: 10 }]);
  });

  it("refuses a caller without the pipe's scope (403) and an unknown pipe (404), without a read", async () => {
    const before = ch.calls.length;
    const reader = principal(workspaceId, [{ type: "PIPES:READ", resource: "other" }]);
    await expect(callPipe("top_pages", {}, reader).response).rejects.toBeInstanceOf(ForbiddenError);
    await expect(callPipe("nope").response).rejects.toBeInstanceOf(NotFoundError);
    expect(ch.calls.slice(before).filter((c) => c.sql.endsWith("FORMAT JSON"))).toEqual([]);
  });

  it("logs the call to pipe_stats_rt after the answer, off the request (waitUntil, batched per isolate)", async () => {
    const requestId = crypto.randomUUID();
    const { response, platform } = callPipe("top_pages", { tenant: "acme" }, principal(workspaceId), requestId);
    await (await response).arrayBuffer();
    // The row waits for the isolate's next batched write, held by whichever request's waitUntil started it.
    await vi.waitFor(async () => {
      expect(await rows(platform, `SELECT pipe_name, status_code, result_rows, parameters FROM tern_service.pipe_stats_rt WHERE request_id = '${requestId}'`)).toEqual([
        { pipe_name: "top_pages", status_code: 200, result_rows: 3, parameters: { tenant: "acme" } },
      ]);
    }, { timeout: 10_000, interval: 200 });
  });
});

describe("answerPipe when ClickHouse fails", () => {
  it("answers 503 when the read cannot reach ClickHouse, frees the workspace's slot, and logs the failure", async () => {
    const failed: string[] = [];
    ch.failWhen = (c) => (failed.includes(c.url.searchParams.get("query_id") ?? "") ? "before" : undefined);
    // As many failures as the workspace has read slots: one kept by a failure would make the next call wait, then 429.
    const slots = nodePlatform(ch).platform.config.reads.workspaceConcurrency;
    let last: TestPlatform | undefined;
    for (let i = 0; i < slots; i++) {
      const requestId = crypto.randomUUID();
      failed.push(requestId);
      last = nodePlatform(ch, { requestId });
      const err = await answerPipe(last.platform, principal(workspaceId), { live, pipe: "top_pages", format: ENDPOINT_FORMATS.json!, input: input(), call }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TernError);
      expect([(err as TernError).status, (err as TernError).message]).toEqual([503, expect.stringMatching(/^ClickHouse is unavailable: .*connection refused \(injected\)/)]);
      expect(ch.readsOf(requestId)).toHaveLength(1);
    }
    ch.failWhen = () => undefined;

    const started = Date.now();
    const res = await callPipe("top_pages").response;
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(Date.now() - started).toBeLessThan(1500);

    await vi.waitFor(async () => {
      expect(await rows(last!.platform, `SELECT status_code, error FROM tern_service.pipe_stats_rt WHERE request_id = '${failed.at(-1)}'`)).toEqual([{ status_code: 503, error: 1 }]);
    }, { timeout: 10_000, interval: 200 });
  });
});
