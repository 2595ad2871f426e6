// `tern branch create|ls|use|rm` and `tern --staging`, as users run them, against `npm run dev`:
// a branch with the last partition, switched to through .tern.json; a staging deployment
// written and read with --staging while live stays as it was, then promoted.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTernSetup, type TernSetup } from "./helpers/tern.js";

const DS = `SCHEMA >
    \`ts\` DateTime \`json:$.ts\`,
    \`page\` String \`json:$.page\`

ENGINE "MergeTree"
ENGINE_PARTITION_KEY "toYYYYMM(ts)"
ENGINE_SORTING_KEY "ts"
`;
// The staged version sorts differently: a table of its own.
const DS_V2 = DS.replace('ENGINE_SORTING_KEY "ts"', 'ENGINE_SORTING_KEY "page, ts"');
const PIPE = "NODE n\nSQL >\n    SELECT page, count() AS c FROM hits GROUP BY page ORDER BY page\n\nTYPE endpoint\n";

let s: TernSetup;
let project: string;

async function count(args: string[], env: Record<string, string> = s.env): Promise<number> {
  const r = await s.tern(["sql", "SELECT count() AS c FROM hits", "--format", "json", ...args], project, env);
  expect(r.code, r.err).toBe(0);
  return Number(JSON.parse(r.out).data[0].c);
}

beforeAll(async () => {
  s = await startTernSetup("tern-e2e-branch-");
  project = join(s.tmp, "project");
  await mkdir(project);
  await writeFile(join(project, "hits.datasource"), DS);
  await writeFile(join(project, "by_page.pipe"), PIPE);
  const deployed = await s.tern(["deploy"], project, s.env);
  expect(deployed.code, deployed.err).toBe(0);
  await writeFile(join(project, "rows.ndjson"), ['{"ts":"2026-01-10 10:00:00","page":"jan"}', '{"ts":"2026-02-10 10:00:00","page":"feb"}', '{"ts":"2026-02-11 10:00:00","page":"feb"}'].join("\n"));
  const sent = await s.tern(["events", "send", "hits", "rows.ndjson"], project, s.env);
  expect(sent.code, sent.err).toBe(0);
}, 240_000);

afterAll(async () => {
  await s?.stop();
});

describe("tern branch", () => {
  it("create --last-partition, ls", async () => {
    const created = await s.tern(["branch", "create", "feat", "--last-partition"], project, s.env);
    expect(created.code, created.err).toBe(0);
    expect(created.out).toMatch(/^Branch 'feat' created \(.+\) with last partition/);
    const ls = await s.tern(["branch", "ls", "--json"], project, s.env);
    expect(ls.code, ls.err).toBe(0);
    expect(JSON.parse(ls.out).branches.map((b: { name: string }) => b.name)).toEqual(["feat"]);
  }, 60_000);

  it("use saves the branch's token: later commands act on the branch", async () => {
    // No token in the environment: .tern.json decides.
    const host = { TERN_HOST: s.env.TERN_HOST! };
    const used = await s.tern(["branch", "use", "feat"], project, host);
    expect(used.code, used.err).toBe(0);
    expect(used.out).toMatch(/^Using branch 'feat'/);
    expect(await count([], host)).toBe(2); // February only
    expect(await count([])).toBe(3); // the parent, with its own token
    // The branch's token manages no branches.
    const refused = await s.tern(["branch", "ls"], project, host);
    expect(refused.code).not.toBe(0);
    expect(refused.err).toMatch(/branch's token cannot manage branches/);
  }, 60_000);

  it("rm deletes it", async () => {
    const rm = await s.tern(["branch", "rm", "feat"], project, s.env);
    expect(rm.code, rm.err).toBe(0);
    expect(rm.out).toMatch(/^Branch 'feat' deleted/);
    const ls = await s.tern(["branch", "ls", "--json"], project, s.env);
    expect(JSON.parse(ls.out).branches).toEqual([]);
  }, 60_000);

  it("usage errors exit 2", async () => {
    expect((await s.tern(["branch"], project, s.env)).code).toBe(2);
    expect((await s.tern(["branch", "ls", "--last-partition"], project, s.env)).code).toBe(2);
  }, 60_000);
});

describe("tern --staging", () => {
  it("writes and reads the staging deployment; live is untouched until the promote", async () => {
    await writeFile(join(project, "hits.datasource"), DS_V2);
    const staged = await s.tern(["deploy", "--no-auto"], project, s.env);
    expect(staged.code, staged.err).toBe(0);
    await writeFile(join(project, "more.ndjson"), '{"ts":"2026-03-01 10:00:00","page":"staged"}');
    const sent = await s.tern(["events", "send", "hits", "more.ndjson", "--staging"], project, s.env);
    expect(sent.code, sent.err).toBe(0);
    expect(await count(["--staging"])).toBe(4);
    expect(await count([])).toBe(3);
    const promoted = await s.tern(["deployment", "promote"], project, s.env);
    expect(promoted.code, promoted.err).toBe(0);
    expect(await count([])).toBe(4);
    const none = await s.tern(["sql", "SELECT 1", "--staging"], project, s.env);
    expect(none.code).not.toBe(0);
    expect(none.err).toMatch(/no deployment in staging/);
  }, 120_000);
});
