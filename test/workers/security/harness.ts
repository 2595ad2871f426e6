// The security suite's harness: a workspace with the endpoints project, another workspace whose table holds
// OTHER_SECRET, the four token kinds (workspace admin, filtered READ, APPEND, JWT with fixed params), and the
// judgement every attempt gets: refused with a 4xx JSON error, or (a legitimate query) answered with only rows
// the token may see; never a 5xx, never a leak. Each test file runs one group of corpus.ts (the workers test
// runtime slows down with every request one file makes).
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { api, createWorkspace, deploy } from "../helpers/api.js";
import { liveManifest } from "../../../workers/catalog/live-manifest.js";
import { testClickHouse } from "../helpers/clickhouse.js";
import { deployProject, rowCount, type Deployed } from "../endpoints-project.js";
import type { Attempt } from "./corpus.js";

const SECRETS = `SCHEMA >
    \`secret\` String

ENGINE "MergeTree"
ENGINE_SORTING_KEY "secret"
`;

export let ws: Deployed;
let other: { database: string; secretsTable: string };
export interface TokenKind {
  name: string;
  token: string;
  /** Sees only tenant acme. */
  tenantConfined: boolean;
}
export let tokens: TokenKind[] = [];

async function staticToken(name: string, ...scopes: string[]): Promise<string> {
  const qs = new URLSearchParams([["name", name], ...scopes.map((s) => ["scope", s] as [string, string])]);
  const res = await api(`/v0/tokens?${qs}`, { method: "POST", token: ws.token });
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

/** Sets up the two workspaces and the tokens for one test file, and checks afterwards that nothing leaked into the other workspace or the host. */
export function securityWorkspaces(prefix: string): void {
beforeAll(async () => {
  ws = await deployProject(`security_${prefix}`);
  const o = await createWorkspace("security_other");
  const deployed = await deploy({ "secrets.datasource": SECRETS }, "auto_promote=true", o.token);
  expect(deployed.status).toBe(200);
  const live = (await liveManifest(env, o.id))!.manifest;
  const secretsTable = `${live.database}.${live.datasources.secrets!.table}`;
  await testClickHouse().command({ query: `INSERT INTO ${secretsTable} VALUES ('OTHER_SECRET')` });
  other = { database: live.database, secretsTable };
  const jwt = await new SignJWT({
    workspace_id: ws.id,
    name: "browser",
    exp: Math.floor(Date.now() / 1000) + 3600,
    scopes: [
      { type: "PIPES:READ", resource: "top_pages", fixed_params: { tenant: "acme" } },
      { type: "DATASOURCES:READ", resource: "events", filter: "tenant = 'acme'" },
    ],
  })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(new TextEncoder().encode(ws.token));
  tokens = [
    { name: "workspace admin", token: ws.token, tenantConfined: false },
    { name: "READ (filtered)", token: await staticToken("reader", "DATASOURCES:READ:events:tenant = 'acme'", "PIPES:READ:top_pages"), tenantConfined: true },
    { name: "APPEND", token: await staticToken("appender", "DATASOURCES:APPEND:events"), tenantConfined: true },
    { name: "JWT with fixed params", token: jwt, tenantConfined: true },
  ];
});
afterAll(async () => {
  // Nothing the attempts did changed another workspace or wrote a file on the ClickHouse host.
  expect(await rowCount(other.secretsTable)).toBe(1);
  for (const f of ["/tmp/tern-pwned-outfile", "/tmp/tern-pwned-outfile2", "/tmp/tern-pwned"]) {
    const probe = await testClickHouse()
      .query({ query: `SELECT count() AS c FROM file('${f}', LineAsString)`, format: "JSONEachRow" })
      .then(() => "exists", () => "absent");
    expect(`${f}: ${probe}`).toBe(`${f}: absent`);
  }
});
}

export function fill(sql: string): string {
  const [otherDb, otherTable] = other.secretsTable.split(".") as [string, string];
  return sql
    .replaceAll("{other}", other.secretsTable)
    .replaceAll("{otherdb}", otherDb)
    .replaceAll("{othertable}", otherTable)
    .replaceAll("{own}", ws.eventsTable);
}

/** Text that must never reach a caller: another workspace's data or names, host files, the ClickHouse password. */
export function leaks(text: string, kind: TokenKind, sent = ""): string[] {
  const markers = ["OTHER_SECRET", "root:x:0:0", "tern-test-password", "CLICKHOUSE_PASSWORD"];
  // Another workspace's database name is a secret unless the attempt itself named it (errors may quote it back).
  if (!sent.includes(other.database)) markers.push(other.database);
  if (kind.tenantConfined) markers.push("globex");
  return markers.filter((m) => text.includes(m));
}

type Outcome = { status: number; text: string };

export async function send(path: string, token: string): Promise<Outcome> {
  const res = await api(path, { token });
  return { status: res.status, text: await res.text() };
}

export function judge(attempt: Attempt, kind: TokenKind, where: string, out: Outcome): string | undefined {
  const leaked = leaks(out.text, kind, fill(attempt.sql));
  if (leaked.length) return `${kind.name} at ${where}: leaked ${leaked.join(", ")} (${out.status})`;
  if (out.status >= 500) return `${kind.name} at ${where}: ${out.status} ${out.text.slice(0, 200)}`;
  if (out.status === 200) return attempt.confined ? undefined : `${kind.name} at ${where}: answered 200 ${out.text.slice(0, 200)}`;
  let body: unknown;
  try {
    body = JSON.parse(out.text);
  } catch {
    return `${kind.name} at ${where}: ${out.status} without a JSON body`;
  }
  if (typeof (body as { error?: unknown }).error !== "string") return `${kind.name} at ${where}: ${out.status} without {"error": …}`;
  return undefined;
}

/** One test per attempt: every token at /v0/sql and at an endpoint's q=. */
export function sqlAttempts(title: string, attempts: readonly Attempt[]): void {
  describe(`${title} (${attempts.length} attempts × 4 tokens × /v0/sql and q=)`, () => {
    it.each(attempts.map((a) => [a.name, a] as const))("%s", async (_name, attempt) => {
      const sql = fill(attempt.sql);
      const failures: string[] = [];
      for (const kind of tokens) {
        const viaSql = await send(`/v0/sql?q=${encodeURIComponent(sql)}`, kind.token);
        const a = judge(attempt, kind, "/v0/sql", viaSql);
        if (a) failures.push(a);
        const viaQ = await send(`/v0/pipes/top_pages.json?q=${encodeURIComponent(sql)}`, kind.token);
        // q= reads only the endpoint's result (_): nothing in the corpus is a legitimate q.
        const b = judge({ ...attempt, confined: false }, kind, "q=", viaQ);
        if (b) failures.push(b);
      }
      expect(failures).toEqual([]);
    });
  });
}
