// Workspace secrets (`/v0/variables`, tb secret ls|set|rm): create, list, get, update, delete
// with admin tokens only; a value never comes back (answers, errors, logs, job rows); sinks
// resolve tb_secret from the workspace's secrets first, the operator's TERN_SECRET_* after;
// a deploy names the secrets that have no value as warnings.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { api, createWorkspace, deploy } from "./helpers/api.js";
import { EVENTS_DATASOURCE, rows, s3, sinkPipe, sinkRun } from "./helpers/sinks.js";

const VALUE = "sEcReT-VaLuE-7f3a9c";
const OTHER = "another-SeCrEt-81d2";
const WRONG = "Wr0ng-WoRkSpAcE-55e1";
let ws: { id: string; token: string };
const logged: string[] = [];
const spies: Array<{ mockRestore(): void }> = [];

async function call(path: string, init: RequestInit & { token?: string } = {}): Promise<{ status: number; text: string; body: any }> {
  const res = await api(path, { token: ws.token, ...init });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, text, body };
}

const form = (fields: Record<string, string>) => ({
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(fields),
});

function expectNoValue(text: string): void {
  for (const v of [VALUE, OTHER, WRONG, s3.secret]) expect(text).not.toContain(v);
}

beforeAll(async () => {
  ws = await createWorkspace("secrets");
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    spies.push(vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(" "))));
  }
});

afterAll(() => {
  for (const s of spies) s.mockRestore();
  // Nothing this file logged carries a value.
  expectNoValue(logged.join("\n"));
});

describe("/v0/variables", () => {
  it("creates (a form, as tb sends it), lists and gets a secret: names and dates, never the value", async () => {
    const created = await call("/v0/variables", { method: "POST", ...form({ name: "API_KEY", value: VALUE }) });
    expect(created.status, created.text).toBe(200);
    expect(created.body).toMatchObject({ name: "API_KEY", type: "secret" });
    expect(Object.keys(created.body).sort()).toEqual(["created_at", "name", "type", "updated_at"]);
    expectNoValue(created.text);

    const json = await call("/v0/variables", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "OTHER", value: OTHER }) });
    expect(json.status).toBe(200);

    const list = await call("/v0/variables");
    expect(list.status).toBe(200);
    expect(list.body.variables.map((v: { name: string }) => v.name)).toEqual(["API_KEY", "OTHER"]);
    expectNoValue(list.text);

    const one = await call("/v0/variables/API_KEY");
    expect(one.status).toBe(200);
    expect(one.body.name).toBe("API_KEY");
    expectNoValue(one.text);
  });

  it("updates with PUT, refuses a duplicate (409), an unknown name (404) and a bad name or value (400), quoting no value", async () => {
    const updated = await call("/v0/variables/API_KEY", { method: "PUT", ...form({ value: `${VALUE}-2` }) });
    expect(updated.status).toBe(200);
    expectNoValue(updated.text);

    const dup = await call("/v0/variables", { method: "POST", ...form({ name: "API_KEY", value: VALUE }) });
    expect(dup.status).toBe(409);
    expect(dup.body.error).toMatch(/already exists/);
    expectNoValue(dup.text);

    expect((await call("/v0/variables/NOPE")).status).toBe(404);
    expect((await call("/v0/variables/NOPE", { method: "PUT", ...form({ value: VALUE }) })).status).toBe(404);
    const badName = await call("/v0/variables", { method: "POST", ...form({ name: "bad name!", value: VALUE }) });
    expect(badName.status).toBe(400);
    expectNoValue(badName.text);
    const tooBig = await call("/v0/variables", { method: "POST", ...form({ name: "BIG", value: VALUE.repeat(5000) }) });
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.error).toMatch(/at most/);
    expectNoValue(tooBig.text);
    const noValue = await call("/v0/variables", { method: "POST", ...form({ name: "EMPTY" }) });
    expect(noValue.status).toBe(400);
  });

  it("is for admin tokens only: a resource token and no token are refused", async () => {
    const minted = await call("/v0/tokens?name=reader&scope=DATASOURCES:READ:x", { method: "POST" });
    expect(minted.status, minted.text).toBe(200);
    const reader = minted.body.token as string;
    expect((await call("/v0/variables", { token: reader })).status).toBe(403);
    expect((await call("/v0/variables", { method: "POST", token: reader, ...form({ name: "X", value: VALUE }) })).status).toBe(403);
    expect((await api("/v0/variables", { token: null })).status).toBe(401);
  });

  it("keeps one workspace's secrets from another", async () => {
    const other = await createWorkspace("secrets_other");
    const res = await call("/v0/variables", { token: other.token });
    expect(res.body.variables).toEqual([]);
    expect((await call("/v0/variables/API_KEY", { token: other.token })).status).toBe(404);
  });

  it("deletes", async () => {
    const deleted = await call("/v0/variables/OTHER", { method: "DELETE" });
    expect(deleted.status).toBe(200);
    expectNoValue(deleted.text);
    expect((await call("/v0/variables/OTHER")).status).toBe(404);
    expect((await call("/v0/variables/OTHER", { method: "DELETE" })).status).toBe(404);
  });
});

describe("tb_secret from the workspace's secrets", () => {
  const P = `secrets-${crypto.randomUUID().slice(0, 8)}/`;
  const project = {
    "events.datasource": EVENTS_DATASOURCE,
    // WS_KEY/WS_SECRET exist only as workspace secrets; TEST_S3_SECRET also as the operator's TERN_SECRET_TEST_S3_SECRET.
    "ws_conn.connection": `TYPE s3\nS3_REGION us-east-1\nS3_ACCESS_KEY {{ tb_secret("WS_KEY") }}\nS3_SECRET {{ tb_secret("WS_SECRET") }}\n`,
    "op_conn.connection": `TYPE s3\nS3_REGION us-east-1\nS3_ACCESS_KEY {{ tb_secret("TEST_S3_KEY") }}\nS3_SECRET {{ tb_secret("TEST_S3_SECRET") }}\n`,
    "via_ws.pipe": sinkPipe("SELECT customer, n FROM events", ["EXPORT_CONNECTION_NAME ws_conn", `EXPORT_BUCKET_URI s3://${s3.bucket}/${P}`, "EXPORT_FILE_TEMPLATE ws"]),
    "via_op.pipe": sinkPipe("SELECT customer, n FROM events", ["EXPORT_CONNECTION_NAME op_conn", `EXPORT_BUCKET_URI s3://${s3.bucket}/${P}`, "EXPORT_FILE_TEMPLATE op"]),
  };

  it("a deploy names the secrets with no value as warnings, never a value", async () => {
    const deployed = await deploy(project, "auto_promote=true", ws.token);
    expect(deployed.status, JSON.stringify(deployed.body)).toBe(200);
    const feedback = deployed.body.deployment.feedback as Array<{ level: string; message: string; resource: string }>;
    expect(feedback.filter((f) => f.level === "WARNING" && /secret "WS_(KEY|SECRET)" is not set/.test(f.message)).map((f) => f.message.match(/"(WS_\w+)"/)![1]).sort()).toEqual(["WS_KEY", "WS_SECRET"]);
    expect(feedback.some((f) => /TEST_S3/.test(f.message))).toBe(false);
  });

  it("a sink runs with the workspace's secrets; the operator's TERN_SECRET_* stays the fallback", async () => {
    expect((await call("/v0/variables", { method: "POST", ...form({ name: "WS_KEY", value: s3.key }) })).status).toBe(200);
    expect((await call("/v0/variables", { method: "POST", ...form({ name: "WS_SECRET", value: s3.secret }) })).status).toBe(200);
    expect((await call("/v0/events?name=events&wait=true", { method: "POST", body: '{"ts":"2026-01-01 00:00:00","customer":"a","n":1}' })).status).toBe(200);
    const viaWs = await sinkRun("via_ws", ws.token);
    expect(viaWs.status, JSON.stringify(viaWs)).toBe("done");
    const viaOp = await sinkRun("via_op", ws.token);
    expect(viaOp.status, JSON.stringify(viaOp)).toBe("done");
  });

  it("a workspace secret comes before the operator's: a wrong one fails the run, and no value shows in the job or its logs", async () => {
    expect((await call("/v0/variables", { method: "POST", ...form({ name: "TEST_S3_SECRET", value: WRONG }) })).status).toBe(200);
    const failed = await sinkRun("via_op", ws.token);
    expect(failed.status).toBe("error");
    expectNoValue(JSON.stringify(failed));
    await vi.waitUntil(async () => (await rows(`SELECT 1 FROM tern_service.sinks_ops_log WHERE job_id = '${failed.id}'`)).length > 0, { timeout: 15_000 });
    expectNoValue(JSON.stringify(await rows(`SELECT * FROM tern_service.sinks_ops_log WHERE job_id = '${failed.id}'`)));
    expectNoValue(JSON.stringify(await rows(`SELECT * FROM tern_service.jobs_log WHERE job_id = '${failed.id}'`)));
    // Deleted, the operator's value applies again.
    expect((await call("/v0/variables/TEST_S3_SECRET", { method: "DELETE" })).status).toBe(200);
    expect((await sinkRun("via_op", ws.token)).status).toBe("done");
  });
});
