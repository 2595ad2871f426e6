// The data commands of the `tern` binary against the real local platform:
// datasource, endpoint, sql, token, events and test. Each command is a child
// process (`node cli/bin/tern.js`) in a copy of the tested_shop fixture, which
// is deployed once; outputs and exit codes are exact.
import { cp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, type DevPlatform } from "./helpers/dev-platform.js";
import { lines, startTernSetup, type Run, type TernSetup } from "./helpers/tern.js";
import { runCli } from "../../cli/run.js";

const FIXTURE = join(REPO_ROOT, "test", "fixtures", "projects", "tested_shop");

let setup: TernSetup;
/** Runs `tern args` in `cwd` with only the given TERN_/TB_/TINYBIRD_ variables set. */
const tern = (args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> => setup.tern(args, cwd, env);

let platform: DevPlatform;
let tmp: string;
let project: string;
let env: Record<string, string>;
/** tern with the platform's host and admin token, in the project. */
const t = (...args: string[]) => tern(args, project, env);

async function api(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${platform.baseUrl}${path}`, { ...init, headers: { authorization: `Bearer ${platform.adminToken}`, ...init.headers } });
}

beforeAll(async () => {
  setup = await startTernSetup("tern-e2e-cli-data-");
  ({ platform, tmp, env } = setup);
  project = join(tmp, "shop");
  await cp(FIXTURE, project, { recursive: true });
  const deployed = await tern(["deploy"], project, env);
  if (deployed.code !== 0) throw new Error(`deploy failed: ${deployed.err}`);
}, 240_000);

afterAll(async () => {
  await setup?.stop();
});

describe("tern --help", () => {
  it("lists the data commands", async () => {
    const help = await tern(["--help"], tmp);
    expect(help.out.split("\n").filter((l) => /^  \w/.test(l)).map((l) => l.trim().split(/\s+/)[0])).toEqual([
      "check", "login", "build", "deploy", "deployment", "workspace", "branch", "datasource", "endpoint", "sql", "open", "mcp", "clickhouse", "copy", "sink", "token", "events", "test", "credentials",
    ]);
  });
});

describe("tern datasource", () => {
  it("lists the datasources, empty at first", async () => {
    const run = await t("datasource", "ls");
    expect(run.code).toBe(0);
    const rows = run.out.trimEnd().split("\n");
    expect(rows[0]).toBe("NAME      ROWS  SIZE  DESCRIPTION");
    expect(rows.slice(1)).toEqual([
      "orders    0     0 B   One row per order line, sent by the shop's checkout.",
      "products  0     0 B   The catalog: one row per SKU.",
    ]);
    const json = JSON.parse((await t("datasource", "ls", "--json")).out) as { datasources: Array<{ name: string }> };
    expect(json.datasources.map((d) => d.name)).toEqual(["orders", "products"]);
  });

  it("appends NDJSON and CSV files, and replaces with --mode replace", async () => {
    expect(await t("datasource", "append", "orders", "fixtures/orders.ndjson")).toEqual({ code: 0, out: lines("Appended to 'orders': 8 rows, 0 quarantined rows"), err: "" });
    expect(await t("datasource", "append", "products", "fixtures/products.csv")).toEqual({ code: 0, out: lines("Appended to 'products': 4 rows, 0 quarantined rows"), err: "" });
    expect(await t("datasource", "append", "products", "fixtures/products.csv", "--mode", "replace")).toEqual({
      code: 0,
      out: lines("Replaced the contents of 'products': 4 rows, 0 quarantined rows"),
      err: "",
    });
    expect((await t("sql", "SELECT count() AS n FROM products")).out).toBe(lines("n", "4"));
  });

  it("appends a Parquet file, matched to the schema by column name, and replaces from a Parquet URL", async () => {
    // The Parquet bytes come from the platform itself, columns in reverse order.
    const res = await api(`/v0/sql?q=${encodeURIComponent("SELECT price, category, title, sku FROM products ORDER BY sku FORMAT Parquet")}`);
    expect(res.status).toBe(200);
    const file = new Uint8Array(await res.arrayBuffer());
    expect(new TextDecoder().decode(file.subarray(0, 4))).toBe("PAR1");
    await writeFile(join(project, "products.parquet"), file);
    expect(await t("datasource", "append", "products", "products.parquet")).toEqual({ code: 0, out: lines("Appended to 'products': 4 rows, 0 quarantined rows"), err: "" });
    expect((await t("sql", "SELECT count() AS n, uniqExact(sku, title, category, price) AS distinct_rows FROM products")).out).toBe(lines("n  distinct_rows", "8  4"));
    // A URL is read by ClickHouse itself.
    const server = createServer((_req, reply) => reply.writeHead(200, { "content-type": "application/octet-stream" }).end(file));
    await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/products.parquet`;
      expect(await t("datasource", "replace", "products", url)).toEqual({ code: 0, out: lines("Replaced the contents of 'products': 4 rows, 0 quarantined rows"), err: "" });
    } finally {
      server.close();
    }
    expect((await t("sql", "SELECT sku, price FROM products ORDER BY sku")).out).toBe(
      lines("sku          price", "mug-blue     12", "poster-a2    15", "sticker-set  3", "tee-m        19.5"),
    );
  });

  it("reports quarantined rows", async () => {
    await writeFile(join(project, "bad.ndjson"), '{"order_id":"x","customer_id":"c","country":"ES","sku":"s","quantity":"many","amount":"1.00","created_at":"2025-03-01 00:00:00"}\n');
    expect(await t("datasource", "append", "orders", "bad.ndjson")).toEqual({
      code: 0,
      out: lines("Appended to 'orders': 0 rows, 1 quarantined row"),
      err: lines(`note: rejected rows are in 'orders_quarantine': tern sql "SELECT * FROM orders_quarantine"`),
    });
  });

  it("streams a large file with a progress bar on a terminal", async () => {
    const row = (i: number) => `{"order_id":"big-${i}","customer_id":"c-9","country":"PT","sku":"tee-m","quantity":1,"amount":"1.00","created_at":"2025-05-01 00:00:00"}`;
    const big = join(project, "big.ndjson");
    await writeFile(big, Array.from({ length: 12_000 }, (_, i) => row(i)).join("\n") + "\n");
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(["datasource", "append", "orders", big], {
      out: (s) => out.push(s),
      err: (s) => err.push(s),
      errWrite: (s) => err.push(s),
      errIsTTY: true,
      cwd: project,
      env,
    });
    expect({ code, out }).toEqual({ code: 0, out: ["Appended to 'orders': 12000 rows, 0 quarantined rows"] });
    const frames = err.join("").split("\r").filter(Boolean);
    expect(frames.length).toBeGreaterThan(2);
    expect(frames.at(-1)).toMatch(/^Uploading big\.ndjson \[#{30}\] 100% 1\.\d MB \/ 1\.\d MB\n$/);
    expect((await t("datasource", "delete", "orders", "--sql-condition", "country = 'PT'", "--wait")).out).toBe(lines("Deleted 12000 rows from 'orders'"));
  });

  it("counts rows to delete with --dry-run, deletes them as a job with --wait", async () => {
    expect(await t("datasource", "delete", "orders", "--sql-condition", "country = 'DE'", "--dry-run")).toEqual({
      code: 0,
      out: lines("2 rows of 'orders' match; nothing was deleted (dry run)"),
      err: "",
    });
    const started = await t("datasource", "delete", "orders", "--sql-condition", "order_id = 'nothing'");
    expect(started.code).toBe(0);
    expect(started.out).toMatch(/^Deleting rows of 'orders': job ([0-9a-f-]{36}) \(http:\/\/localhost:\d+\/v0\/jobs\/\1\); wait for it with --wait\n$/);
    expect(await t("datasource", "delete", "orders", "--sql-condition", "country = 'DE'", "--wait")).toEqual({ code: 0, out: lines("Deleted 2 rows from 'orders'"), err: "" });
    expect(await t("datasource", "delete", "orders")).toMatchObject({ code: 2, err: expect.stringContaining('delete needs --sql-condition "<expression>"') });
    const bad = await t("datasource", "delete", "orders", "--sql-condition", "1 = 1) OR (SELECT 1 FROM products");
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^tern datasource: Invalid delete_condition: .+ \(HTTP 400\)\n$/);
  });

  it("truncates only with --yes when there is no terminal", async () => {
    expect(await t("datasource", "truncate", "orders")).toEqual({
      code: 2,
      out: "",
      err: lines("tern datasource: truncate deletes every row: pass --yes to confirm (no terminal to ask on)", "", "Run `tern datasource --help` for its usage."),
    });
    expect(await t("datasource", "truncate", "orders", "--yes")).toEqual({ code: 0, out: lines("Truncated 'orders'"), err: "" });
    expect((await t("sql", "SELECT count() AS n FROM orders")).out).toBe(lines("n", "0"));
    expect(await t("datasource", "append", "nope", "fixtures/orders.ndjson")).toMatchObject({ code: 1, out: "", err: expect.stringMatching(/^tern datasource: .*nope.* \(HTTP 404\)\n$/) });
    // Back to the fixture rows for what follows.
    expect((await t("datasource", "append", "orders", "fixtures/orders.ndjson")).code).toBe(0);
  });
});

describe("tern events", () => {
  it("sends an NDJSON file through the Events API", async () => {
    await writeFile(join(project, "events.ndjson"), '{"order_id":"e-1","customer_id":"c-7","country":"IT","sku":"mug-blue","quantity":1,"amount":"12.00","created_at":"2025-06-01 10:00:00"}\n{"order_id":"e-2","customer_id":"c-7","country":"IT","sku":"mug-blue","quantity":-1,"amount":"12.00","created_at":"2025-06-01 10:00:00"}\n');
    expect(await t("events", "send", "orders", "events.ndjson")).toEqual({ code: 0, out: lines("Sent to 'orders': 1 row, 1 quarantined row"), err: "" });
    expect((await t("sql", "SELECT count() AS n FROM orders WHERE country = 'IT'")).out).toBe(lines("n", "1"));
    expect((await t("datasource", "delete", "orders", "--sql-condition", "country = 'IT'", "--wait")).code).toBe(0);
  });

  it("counts and replays dead letters", async () => {
    expect(await t("events", "dead-letters")).toEqual({ code: 0, out: lines("No dead letters"), err: "" });
    expect(await t("events", "replay")).toEqual({ code: 0, out: lines("Replayed 0 dead-letter batches"), err: "" });
  });
});

describe("tern endpoint", () => {
  it("lists the endpoints with their parameters", async () => {
    expect(await t("endpoint", "ls")).toEqual({
      code: 0,
      out: lines(
        "NAME              PARAMETERS           DESCRIPTION",
        "sales_by_country  start, end, country  Orders and revenue per country in a time window.",
        "top_products      category, limit      Best-selling products by units, optionally within one category.",
      ),
      err: "",
    });
  });

  it("prints an endpoint's URL, and refuses a pipe that is not one", async () => {
    expect(await t("endpoint", "url", "top_products")).toEqual({ code: 0, out: lines(`${platform.baseUrl}/v0/pipes/top_products.json`), err: "" });
    expect((await t("endpoint", "url", "top_products", "--format", "csv")).out).toBe(lines(`${platform.baseUrl}/v0/pipes/top_products.csv`));
    expect(await t("endpoint", "url", "customer_totals")).toEqual({
      code: 1,
      out: "",
      err: lines("tern endpoint: The pipe 'customer_totals' does not exist or is not an API endpoint (HTTP 404)"),
    });
  });

  it("calls an endpoint: a table, or the raw answer in a format", async () => {
    expect(await t("endpoint", "data", "top_products", "--param", "limit=2")).toEqual({
      code: 0,
      out: lines("sku          title        category  units  revenue", "mug-blue     Blue mug     kitchen   7      84", "sticker-set  Sticker set  decor     5      15"),
      err: "",
    });
    expect((await t("endpoint", "data", "top_products", "--param", "category=decor", "--format", "ndjson")).out).toBe(
      lines(
        '{"sku":"sticker-set","title":"Sticker set","category":"decor","units":5,"revenue":15}',
        '{"sku":"poster-a2","title":"Poster A2","category":"decor","units":4,"revenue":60}',
      ),
    );
    const json = JSON.parse((await t("endpoint", "data", "sales_by_country", "--json")).out) as { data: unknown[]; rows: number };
    expect(json.rows).toBe(3);
    expect(await t("endpoint", "data", "top_products", "--param", "limit=abc")).toEqual({
      code: 1,
      out: "",
      err: lines("tern endpoint: Template Syntax Error: Error validating 'abc' to type Int32 (HTTP 400)"),
    });
  });
});

describe("tern sql", () => {
  it("prints a table, or the answer as is", async () => {
    const q = "SELECT country, count() AS lines FROM orders GROUP BY country ORDER BY country";
    expect(await t("sql", q)).toEqual({ code: 0, out: lines("country  lines", "DE       2", "ES       3", "FR       3"), err: "" });
    expect((await t("sql", q, "--format", "csv")).out).toBe(lines('"country","lines"', '"DE",2', '"ES",3', '"FR",3'));
    expect((await t("sql", q, "--format", "ndjson")).out).toBe(lines('{"country":"DE","lines":2}', '{"country":"ES","lines":3}', '{"country":"FR","lines":3}'));
    expect((await t("sql", `${q} FORMAT TSV`)).out).toBe(lines("DE\t2", "ES\t3", "FR\t3"));
    const json = JSON.parse((await t("sql", q, "--json")).out) as { meta: unknown; rows: number };
    expect(json.meta).toEqual([{ name: "country", type: "LowCardinality(String)" }, { name: "lines", type: "UInt64" }]);
  });

  it("reads a pipe with --pipeline and its parameters", async () => {
    expect((await t("sql", "SELECT * FROM _", "--pipeline", "customer_totals", "--param", "min_spent=46")).out).toBe(
      lines("customer_id  lines  spent", "c-1          3      82.5", "c-5          1      48"),
    );
  });

  it("fails with the server's error", async () => {
    expect(await t("sql", "DROP TABLE orders")).toMatchObject({ code: 1, out: "", err: expect.stringMatching(/^tern sql: .+ \(HTTP 40\d\)\n$/) });
  });
});

describe("tern token", () => {
  it("lists tokens without their secrets", async () => {
    expect(await t("token", "ls")).toEqual({
      code: 0,
      out: lines(
        "NAME                   SCOPES                       DESCRIPTION",
        "admin token            ADMIN",
        "user token             ADMIN_USER",
        "workspace admin token  ADMIN",
        "dashboard              PIPES:READ:sales_by_country",
      ),
      err: "",
    });
  });

  it("creates a static token, copies, refreshes and deletes it", async () => {
    expect(await t("token", "create", "static", "ci_reader", "--scope", "PIPES:READ", "--resource", "top_products", "--scope", "DATASOURCES:APPEND:orders")).toEqual({
      code: 0,
      out: lines("Token 'ci_reader' saved with PIPES:READ:top_products, DATASOURCES:APPEND:orders; print it with `tern token copy ci_reader`"),
      err: "",
    });
    const first = (await t("token", "copy", "ci_reader")).out.trim();
    expect(first).toMatch(/^p\.[\w-]+\.[\w-]+$/);
    // The token reads its endpoint and nothing else.
    expect((await fetch(`${platform.baseUrl}/v0/pipes/top_products.json?token=${first}`)).status).toBe(200);
    expect((await fetch(`${platform.baseUrl}/v0/pipes/sales_by_country.json?token=${first}`)).status).toBe(403);
    expect(await t("token", "refresh", "ci_reader")).toEqual({
      code: 0,
      out: lines("Token 'ci_reader' refreshed: the old secret no longer works; print the new one with `tern token copy ci_reader`"),
      err: "",
    });
    const second = (await t("token", "copy", "ci_reader")).out.trim();
    expect(second).not.toBe(first);
    expect((await fetch(`${platform.baseUrl}/v0/pipes/top_products.json?token=${first}`)).status).toBe(403);
    expect(await t("token", "rm", "ci_reader")).toEqual({ code: 0, out: lines("Token 'ci_reader' deleted"), err: "" });
    expect((await t("token", "copy", "ci_reader")).code).toBe(1);
    expect(await t("token", "create", "static", "x")).toMatchObject({ code: 2, err: expect.stringContaining("give at least one --scope") });
  });

  it("mints a JWT with fixed params and a rate limit", async () => {
    const run = await t("token", "create", "jwt", "tenant_es", "--ttl", "1h", "--scope", "PIPES:READ", "--resource", "sales_by_country", "--fixed-params", "country=ES", "--rps", "5");
    expect(run.code).toBe(0);
    const jwt = run.out.trim();
    expect(jwt).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    const claims = JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ name: "tenant_es", scopes: [{ type: "PIPES:READ", resource: "sales_by_country", fixed_params: { country: "ES" } }], limits: { rps: 5 } });
    expect(Number(claims.exp) - Date.now() / 1000).toBeGreaterThan(3500);
    // The fixed param wins over the caller's.
    const res = await fetch(`${platform.baseUrl}/v0/pipes/sales_by_country.ndjson?country=FR&token=${jwt}`);
    expect(await res.text()).toBe('{"country":"ES","orders":2,"revenue":82.5}\n');
    // `create --jwt` as the issue writes it.
    const alias = await t("token", "create", "--jwt", "tenant_any", "--scope", "PIPES:READ", "--resource", "top_products", "--ttl", "10m");
    expect(alias.out).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(await t("token", "create", "jwt", "x", "--scope", "PIPES:READ")).toMatchObject({ code: 2, err: expect.stringContaining("JWT scopes need a resource") });
    expect(await t("token", "create", "jwt", "x", "--scope", "PIPES:READ", "--resource", "p", "--ttl", "soon")).toMatchObject({ code: 2, err: expect.stringContaining("--ttl takes a duration") });
  });
});

describe("tern test", () => {
  const workspaces = async () => ((await (await api("/v1/user/workspaces")).json()) as { workspaces: Array<{ name: string }> }).workspaces.map((w) => w.name);
  const PASS = [
    "✓ tests/customer_totals.yaml: big_spenders",
    "✓ tests/sales_by_country.yaml: all_countries",
    "✓ tests/sales_by_country.yaml: march_only",
    "✓ tests/sales_by_country.yaml: one_country",
    "✓ tests/sales_by_country.yaml: bad_start",
    "✓ tests/top_products.yaml: default_limit",
    "✓ tests/top_products.yaml: decor_only",
  ];

  it("passes on the fixture project, in a scratch workspace it deletes", async () => {
    expect(await t("test")).toEqual({ code: 0, out: lines(...PASS, "7 tests passed"), err: "" });
    expect(await t("test", "run", "tests/top_products.yaml")).toEqual({ code: 0, out: lines(...PASS.slice(5), "2 tests passed"), err: "" });
    expect(await workspaces()).toEqual(["default"]);
  });

  it("fails with a diff when an expected result is edited", async () => {
    const path = join(project, "tests", "top_products.yaml");
    const original = await readFile(path, "utf8");
    await writeFile(path, original.replace('"units":4,"revenue":60}\n\n', '"units":4,"revenue":61}\n\n'));
    const sales = join(project, "tests", "sales_by_country.yaml");
    const salesOriginal = await readFile(sales, "utf8");
    await writeFile(sales, salesOriginal.replace("expected_http_status: 400", "expected_http_status: 404"));
    expect(await t("test")).toEqual({
      code: 1,
      out: lines(
        ...PASS.slice(0, 4),
        "✗ tests/sales_by_country.yaml: bad_start",
        "    expected HTTP 404, got HTTP 400",
        "✗ tests/top_products.yaml: default_limit",
        "    --- expected",
        "    +++ actual",
        "    @@ -1,3 +1,3 @@",
        '     {"sku":"mug-blue","title":"Blue mug","category":"kitchen","units":7,"revenue":84}',
        '     {"sku":"sticker-set","title":"Sticker set","category":"decor","units":5,"revenue":15}',
        '    -{"sku":"poster-a2","title":"Poster A2","category":"decor","units":4,"revenue":61}',
        '    +{"sku":"poster-a2","title":"Poster A2","category":"decor","units":4,"revenue":60}',
        PASS[6]!,
        "2 of 7 tests failed",
      ),
      err: "",
    });

    // --update writes the actual answers back, touching only those cases.
    expect(await t("test", "--update")).toEqual({
      code: 0,
      out: lines("updated  tests/sales_by_country.yaml: bad_start", "updated  tests/top_products.yaml: default_limit", "2 expected results updated, 5 unchanged"),
      err: "",
    });
    expect(await readFile(path, "utf8")).toBe(original);
    expect(await readFile(sales, "utf8")).toBe(salesOriginal);
    expect((await t("test")).code).toBe(0);
    expect(await workspaces()).toEqual(["default"]);
  });

  it("update fills in empty expected results", async () => {
    const path = join(project, "tests", "customer_totals.yaml");
    await writeFile(path, "- name: everyone\n  description: no threshold\n  parameters: ''\n  expected_result: ''\n");
    expect((await t("test", "update", "tests/customer_totals.yaml")).out).toBe(lines("updated  tests/customer_totals.yaml: everyone", "1 expected result updated, 0 unchanged"));
    expect(await readFile(path, "utf8")).toBe(
      [
        "- name: everyone",
        "  description: no threshold",
        "  parameters: ''",
        "  expected_result: |",
        '    {"customer_id":"c-1","lines":3,"spent":82.5}',
        '    {"customer_id":"c-2","lines":2,"spent":27}',
        '    {"customer_id":"c-3","lines":1,"spent":45}',
        '    {"customer_id":"c-4","lines":1,"spent":15}',
        '    {"customer_id":"c-5","lines":1,"spent":48}',
        "",
      ].join("\n"),
    );
  });

  it("points at a broken test file or a test for a missing pipe", async () => {
    await writeFile(join(project, "tests", "top_products.yaml"), "- name: a\n  parameters: [x]\n");
    expect(await t("test")).toEqual({ code: 1, out: "", err: lines("tern test: tests/top_products.yaml:2: flow collections ([...] and {...}) are not supported; use a quoted string") });
    await rm(join(project, "tests", "top_products.yaml"));
    await writeFile(join(project, "tests", "nope.yaml"), "- name: a\n");
    expect(await t("test")).toEqual({ code: 1, out: "", err: lines("tern test: tests/nope.yaml: the project has no pipe named 'nope' (a test file is named after its pipe)") });
    await rm(join(project, "tests", "nope.yaml"));
  });
});
