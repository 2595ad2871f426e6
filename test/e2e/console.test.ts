// The console (console/, issue 18) in a real headless Chromium (Debian's package,
// test/setup/chromium.ts) driven by playwright-core, against `npm run dev`: sign in,
// a data source, an endpoint run with params, SQL with a chart, promoting a staging
// deployment, minting a JWT. Each step checks what the page shows, runs axe-core
// (no serious or critical violations) and keeps a screenshot in
// .tern/artifacts/console/. Data carries HTML that must stay text.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { buildConsole } from "../../console/build.js";
import { ensureChromium } from "../setup/chromium.js";
import { REPO_ROOT } from "./helpers/dev-platform.js";
import { sharedWorkspace, type SharedWorkspace } from "./helpers/shared-workspace.js";
import { runTern } from "./helpers/tern.js";

const ARTIFACTS = join(REPO_ROOT, ".tern", "artifacts", "console");
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const EVIL = `<img src=x onerror="window.__xss=1">`;

const HITS = 'SCHEMA >\n    `ts` DateTime `json:$.ts`,\n    `page` String `json:$.page`\n\nENGINE "MergeTree"\nENGINE_SORTING_KEY "ts"\n';
const TOP = (limitDefault: number) =>
  `NODE top\nSQL >\n    %\n    SELECT page, count() AS views FROM hits GROUP BY page ORDER BY views DESC, page LIMIT {{Int32(n, ${limitDefault}, description="rows")}}\n\nTYPE endpoint\n`;

const COPY_TARGET = 'SCHEMA >\n    `page` String,\n    `views` UInt64\n\nENGINE "MergeTree"\nENGINE_SORTING_KEY "page"\n';
const COPY_PIPE = "NODE counts\nSQL >\n    SELECT page, count() AS views FROM hits GROUP BY page\n\nTYPE COPY\nTARGET_DATASOURCE page_counts\nCOPY_MODE append\n";
/** Every deployment's files: the endpoint's default limit tells them apart. */
const project = (limitDefault: number) => ({ "hits.datasource": HITS, "page_counts.datasource": COPY_TARGET, "top_pages.pipe": TOP(limitDefault), "copy_pages.pipe": COPY_PIPE });

let platform: SharedWorkspace;
let browser: Browser;
let page: Page;

async function api(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${platform.baseUrl}${path}`, { ...init, headers: { authorization: `Bearer ${platform.adminToken}`, ...(init.headers as Record<string, string>) } });
}

async function deploy(files: Record<string, string>, autoPromote: boolean): Promise<{ deployment: { id: string; status: string } }> {
  const form = new FormData();
  for (const [name, text] of Object.entries(files)) form.append("data_project://", new File([text], name, { type: "text/plain" }));
  const res = await api(`/v1/deploy?auto_promote=${autoPromote}`, { method: "POST", body: form });
  const body = (await res.json()) as { deployment: { id: string; status: string } };
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

/** axe-core on the page as it is: no serious or critical violations. */
async function axe(name: string): Promise<void> {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ content: AXE });
  const violations = await page.evaluate(async () => {
    const w = window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: unknown }[] }[] }> } };
    const r = await w.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id} (${v.impact}): ${v.help} at ${JSON.stringify(v.nodes.map((n) => n.target))}`);
  });
  expect(violations, `axe on ${name}`).toEqual([]);
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function noInjection(): Promise<void> {
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  expect(await page.locator('img[src="x"]').count()).toBe(0);
}

describe("console", () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    // Already built by the shared platform's globalSetup, which serves it; this
    // only checks that it is current.
    await buildConsole();
    const c = await ensureChromium();
    platform = await sharedWorkspace("e2e_console");
    browser = await chromium.launch({ executablePath: c.executablePath, env: { ...process.env, ...c.env } as Record<string, string>, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
    // bypassCSP: the console's CSP (console/build.ts, checked below) refuses inline
    // scripts, axe-core's injection included; the markup checks then also see what
    // an injected handler would do without the CSP's help.
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    page.setDefaultTimeout(30_000);
    await deploy(project(10), true);
    const events = [
      { ts: "2026-01-01 10:00:00", page: "/" },
      { ts: "2026-01-01 10:05:00", page: "/" },
      { ts: "2026-01-01 11:00:00", page: EVIL },
      { ts: `not a date ${EVIL}`, page: "/bad" },
    ];
    const res = await api("/v0/events?name=hits&wait=true", { method: "POST", body: events.map((e) => JSON.stringify(e)).join("\n") });
    expect(await res.json()).toMatchObject({ successful_rows: 3, quarantined_rows: 1 });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("sends a browser at / to the console, and an API client still gets JSON", async () => {
    expect(platform.output()).toContain(`Console:     ${platform.baseUrl}/ui/`);
    const html = await fetch(`${platform.baseUrl}/`, { headers: { accept: "text/html" }, redirect: "manual" });
    expect(html.status).toBe(302);
    expect(html.headers.get("location")).toMatch(/\/ui\/$/);
    const ui = await fetch(`${platform.baseUrl}/ui/`);
    expect(ui.status).toBe(200);
    expect(ui.headers.get("content-security-policy")).toContain("connect-src 'self'");
    const json = await fetch(`${platform.baseUrl}/`);
    expect(json.status).toBe(404);
    expect(await json.json()).toMatchObject({ error: expect.stringContaining("Not found") });
  });

  it("refuses a wrong token on sign-in with a message, then signs in", async () => {
    const started = Date.now();
    await page.goto(`${platform.baseUrl}/`);
    await page.getByLabel("Token").waitFor();
    const formVisible = Date.now() - started;
    // First contentful paint as the browser measured it: recorded, not asserted (no
    // timing assertions in tests; issue 18's < 1 s is read from the artifact).
    const fcp = await page.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? -1);
    writeFileSync(join(ARTIFACTS, "first-paint.txt"), `first-contentful-paint ${fcp.toFixed(0)} ms; sign-in form visible after ${formVisible} ms\n`);
    expect(fcp).toBeGreaterThan(0);
    console.log(`console first contentful paint: ${fcp.toFixed(0)} ms`);
    await page.getByLabel("Token").fill("p.not-a-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("Sign-in failed");
    await axe("sign-in");
    await shot("01-sign-in-refused");
    await page.getByLabel("Token").fill(platform.adminToken);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Data sources" }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem("tern.token"))).toBe(platform.adminToken);
  });

  it("lists data sources and opens one: schema, engine, rows, quarantine with its reason, ingestion", async () => {
    const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: "hits" }) });
    await expect.poll(() => row.textContent()).toContain("3");
    await axe("datasources");
    await shot("02-datasources");
    await row.getByRole("link", { name: "hits" }).click();
    await page.getByRole("heading", { name: "hits", level: 1 }).waitFor();
    const schema = page.getByRole("region", { name: "Schema" });
    await expect.poll(() => schema.textContent()).toContain("DateTime");
    expect(await page.locator(".facts").textContent()).toContain("MergeTree");
    const rows = page.getByRole("region", { name: "Sample rows" });
    await expect.poll(() => rows.textContent()).toContain(EVIL);
    const quarantine = page.getByRole("region", { name: "Quarantine" });
    await expect.poll(() => quarantine.textContent()).toContain("is not DateTime");
    await page.locator("figure.chart canvas").first().waitFor();
    await noInjection();
    await axe("datasource");
    await shot("03-datasource");
  });

  it("runs an endpoint with params and shows its rows, URL and curl", async () => {
    await page.getByRole("link", { name: "Pipes" }).click();
    await page.getByRole("link", { name: "top_pages" }).click();
    await page.getByRole("heading", { name: "top_pages", level: 1 }).waitFor();
    expect(await page.locator(".node pre").textContent()).toContain("count() AS views");
    await page.getByLabel(/^n /).fill("1");
    await page.getByRole("button", { name: "Run" }).click();
    await expect.poll(() => page.locator(".stats").textContent()).toContain("1 rows");
    const table = page.getByRole("region", { name: "Run the endpoint" }).locator("table");
    expect(await table.locator("tbody tr").count()).toBe(1);
    expect(await table.textContent()).toContain("/");
    expect(await page.getByLabel("URL", { exact: true }).inputValue()).toBe(`${platform.baseUrl}/v0/pipes/top_pages.json?n=1`);
    expect(await page.getByLabel("curl").inputValue()).toContain("curl -H \"Authorization: Bearer $TERN_TOKEN\"");
    // A bad value: the endpoint's own error text next to the form.
    await page.getByLabel(/^n /).fill("-99999999999999");
    await page.getByRole("button", { name: "Run" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("The endpoint answered");
    await page.getByLabel(/^n /).fill("1");
    await page.getByRole("button", { name: "Run" }).click();
    await expect.poll(() => page.locator(".stats").textContent()).toContain("1 rows");
    // The runs above land in tinybird.pipe_stats_rt and the charts pick them up.
    const stats = page.getByRole("region", { name: /Requests and latency/ });
    await expect.poll(() => stats.locator("figcaption").count(), { timeout: 30_000 }).toBe(0);
    expect(await stats.locator("canvas").count()).toBe(2);
    await noInjection();
    await axe("pipe");
    await shot("04-pipe");
  });

  it("runs SQL and draws a chart over its time column; an error shows its text", async () => {
    await page.getByRole("link", { name: "SQL" }).click();
    const editor = page.getByRole("textbox", { name: "SQL query" });
    await editor.waitFor();
    await editor.click();
    await page.keyboard.press("ControlOrMeta+a");
    await page.keyboard.insertText(`SELECT * FROM \`${EVIL}\``);
    await page.getByRole("button", { name: /^Run/ }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("Query failed");
    // The error names the unknown table: its HTML stays text.
    expect(await page.getByRole("alert").textContent()).toContain(EVIL);
    await noInjection();
    await editor.click();
    await page.keyboard.press("ControlOrMeta+a");
    // Completion offers the workspace's names.
    await page.keyboard.type("SELECT * FROM hi");
    await page.keyboard.press("Control+Space");
    await expect.poll(() => page.locator(".cm-tooltip-autocomplete").textContent()).toContain("hits");
    await page.keyboard.press("Escape");
    await page.keyboard.press("ControlOrMeta+a");
    // A long query shows its progress and is cancelled from the page.
    await page.keyboard.type("SELECT count() FROM numbers(100000000000) WHERE sipHash64(number) = 0");
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: /^Run/ }).click();
    await expect.poll(() => page.locator(".progress").textContent()).toMatch(/Running… \d+\.\d s/);
    await page.getByRole("button", { name: "Cancel" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("Cancelled.");
    await editor.click();
    await page.keyboard.press("ControlOrMeta+a");
    await page.keyboard.type("SELECT toStartOfHour(ts) AS hour, count() AS hits FROM hits GROUP BY hour ORDER BY hour");
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: /^Run/ }).click();
    await expect.poll(() => page.locator(".stats").textContent()).toContain("2 rows");
    await page.locator("figure.chart canvas").waitFor();
    expect(await page.locator("figure.chart .u-title").textContent()).toBe("hits by hour");
    expect(await page.getByRole("link", { name: "Download CSV" }).getAttribute("download")).toBe("query.csv");
    await noInjection();
    await axe("sql");
    await shot("05-sql");
  });

  it("promotes a staging deployment after a confirmation that says what changes", async () => {
    const staged = await deploy(project(5), false);
    await page.getByRole("link", { name: "Deployments" }).click();
    const row = page.getByRole("row").filter({ hasText: "staging" });
    await expect.poll(() => row.textContent()).toContain("changed pipe: top_pages");
    await axe("deployments");
    await row.getByRole("button", { name: "Promote" }).click();
    const dialog = page.getByRole("dialog");
    expect(await dialog.textContent()).toContain(`Deployment ${staged.deployment.id} becomes live, replacing deployment 1`);
    await axe("deployments-confirm");
    await shot("06-deployment-confirm");
    await dialog.getByRole("button", { name: "Confirm" }).click();
    await expect.poll(() => page.getByRole("status").first().textContent()).toContain("done");
    const list = (await (await api("/v1/deployments")).json()) as { deployments: { id: string; live: boolean }[] };
    expect(list.deployments.find((d) => d.live)?.id).toBe(staged.deployment.id);
    await expect.poll(() => page.getByRole("row").filter({ hasText: "live" }).first().textContent()).toContain(staged.deployment.id);
    await shot("07-deployments");
    // Discard: a new staging deployment goes away, live stays.
    const third = await deploy(project(7), false);
    await page.reload();
    const stagingRow = page.getByRole("row").filter({ hasText: "staging" });
    await stagingRow.getByRole("button", { name: "Discard" }).click();
    expect(await page.getByRole("dialog").textContent()).toContain(`Staging deployment ${third.deployment.id} and its tables are deleted. Live stays deployment ${staged.deployment.id}.`);
    await page.getByRole("dialog").getByRole("button", { name: "Confirm" }).click();
    await expect.poll(() => page.getByRole("status").first().textContent()).toContain("done");
    const after = (await (await api("/v1/deployments")).json()) as { deployments: { id: string; live: boolean; status: string }[] };
    expect(after.deployments.find((d) => d.live)?.id).toBe(staged.deployment.id);
    expect(after.deployments.find((d) => d.id === third.deployment.id)?.status ?? "deleted").toMatch(/deleted/);
    // Roll back: the previous deployment is live again.
    await page.getByRole("button", { name: "Roll back live" }).click();
    expect(await page.getByRole("dialog").textContent()).toContain(`Live deployment ${staged.deployment.id} is replaced by the previous one`);
    await page.getByRole("dialog").getByRole("button", { name: "Confirm" }).click();
    await expect.poll(() => page.getByRole("status").first().textContent()).toContain("Roll back: done");
    const rolled = (await (await api("/v1/deployments")).json()) as { deployments: { id: string; live: boolean }[] };
    expect(rolled.deployments.find((d) => d.live)?.id).toBe("1");
  });

  it("mints a JWT with a fixed param and a rate limit that reads the endpoint", async () => {
    await page.getByRole("link", { name: "Tokens" }).click();
    await expect.poll(() => page.locator("table").textContent()).toContain("workspace admin token");
    await page.getByLabel("Name", { exact: true }).nth(1).fill("console-jwt");
    await page.getByLabel("Endpoint").selectOption("top_pages");
    await page.getByLabel(/Fixed params/).fill("n=1");
    await page.getByLabel(/Rate limit/).fill("5");
    await page.getByRole("button", { name: "Mint JWT" }).click();
    const jwt = await page.getByLabel("JWT", { exact: true }).inputValue();
    expect(jwt.split(".")).toHaveLength(3);
    const claims = JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString()) as { limits?: { rps: number }; scopes: { fixed_params?: Record<string, unknown> }[] };
    expect(claims.limits).toEqual({ rps: 5 });
    const read = await fetch(`${platform.baseUrl}/v0/pipes/top_pages.json?n=3`, { headers: { authorization: `Bearer ${jwt}` } });
    expect(read.status).toBe(200);
    expect(((await read.json()) as { rows: number }).rows).toBe(1);
    await axe("tokens");
    await shot("08-tokens");
    // A scoped static token: created, refreshed (a new secret), deleted after the confirm.
    await page.getByLabel("Name", { exact: true }).first().fill("console-static");
    await page.getByLabel(/^Scopes/).fill("PIPES:READ:top_pages");
    await page.getByRole("button", { name: "Create token" }).click();
    const tokenRow = page.getByRole("row").filter({ hasText: "console-static" });
    await expect.poll(() => tokenRow.textContent()).toContain("PIPES:READ:top_pages");
    const secret = async () => ((await (await api("/v0/tokens/console-static")).json()) as { token: string }).token;
    const before = await secret();
    await tokenRow.getByRole("button", { name: "Refresh" }).click();
    await expect.poll(() => page.getByRole("status").first().textContent()).toContain("refreshed");
    expect(await secret()).not.toBe(before);
    page.once("dialog", (d) => void d.accept());
    await tokenRow.getByRole("button", { name: "Delete" }).click();
    await expect.poll(() => page.getByRole("status").first().textContent()).toContain("deleted");
    expect(await tokenRow.count()).toBe(0);
    expect((await api("/v0/tokens/console-static")).status).toBe(404);
  });

  it("shows jobs with their state, and usage", async () => {
    const run = await api("/v0/pipes/copy_pages/copy", { method: "POST" });
    expect(run.status, await run.clone().text()).toBeLessThan(300);
    const { job } = (await run.json()) as { job: { id: string } };
    await page.getByRole("link", { name: "Jobs & usage" }).click();
    await page.getByRole("heading", { name: "Jobs and usage" }).waitFor();
    const jobRow = page.getByRole("row").filter({ hasText: job.id });
    await expect
      .poll(async () => {
        await page.reload();
        await page.getByRole("heading", { name: "Jobs and usage" }).waitFor();
        return jobRow.textContent();
      }, { timeout: 45_000, interval: 2_000 })
      .toMatch(/copy.*done/);
    await page.locator("figure.chart canvas").first().waitFor();
    await axe("jobs");
    await shot("09-jobs");
  });

  it("lands on sign-in with a message when the token stops working", async () => {
    await page.evaluate(() => sessionStorage.setItem("tern.token", "p.revoked"));
    await page.reload();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("Your token was refused");
    await noInjection();
  });

  it("`tern open --print` hands the console a signed-in URL; the token leaves the address bar", async () => {
    const run = await runTern(["open", "sql", "--print"], { cwd: REPO_ROOT, home: ARTIFACTS, env: { TERN_HOST: platform.baseUrl, TERN_TOKEN: platform.adminToken } });
    expect(run.code, run.err).toBe(0);
    const url = run.out.trim();
    expect(url).toBe(`${platform.baseUrl}/ui/#token=${encodeURIComponent(platform.adminToken)}&sql`);
    const fresh = await browser.newPage();
    await fresh.goto(url);
    await fresh.getByRole("heading", { name: "SQL playground" }).waitFor();
    expect(fresh.url()).toBe(`${platform.baseUrl}/ui/#/sql`);
    await fresh.close();
  });
});
