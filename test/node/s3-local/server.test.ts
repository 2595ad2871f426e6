// The local S3 server as the sinks use it: spawned as a child process on a free
// port, written and read by the real local ClickHouse's s3() (AWS signature v4,
// chunked and multipart uploads), refusing what a private bucket refuses: a wrong
// secret, an unknown key (s3rver's own built-in one included), unsigned requests,
// and writes to a read-only bucket. Objects outlive a restart; stop() ends it cleanly.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type ClickHouseClient } from "@clickhouse/client-web";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { spawnLocalS3, type SpawnedS3 } from "../../../s3-local/spawn.js";

const ACCESS_KEY = "tern-node-test";
const SECRET = "node-test-secret-7d1f";
const WRONG_SECRET = "not-the-secret-9a2c";

let dataDir: string;
let s3: SpawnedS3;
let ch: ClickHouseClient;

function s3Args(path: string, format: string, key = ACCESS_KEY, secret = SECRET): string {
  return `'${s3.url}/${path}', '${key}', '${secret}', '${format}'`;
}

async function clickhouseError(query: string): Promise<string> {
  try {
    await ch.command({ query });
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  throw new Error(`expected ClickHouse to refuse: ${query}`);
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "tern-s3-local-"));
  s3 = await spawnLocalS3({ dataDir, accessKey: ACCESS_KEY, secretKey: SECRET, buckets: ["node-test"], readOnlyBuckets: ["node-test-ro"] });
  ch = createClient({ url: inject("clickhouseUrl"), username: inject("clickhouseUser"), password: inject("clickhousePassword") });
});

afterAll(async () => {
  await s3?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("spawnLocalS3", () => {
  it("listens on a free port on 127.0.0.1", () => {
    expect(s3.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(s3.port).toBeGreaterThan(0);
  });

  it("ClickHouse writes a CSV file with s3() and reads it back", async () => {
    await ch.command({ query: `INSERT INTO FUNCTION s3(${s3Args("node-test/csv/a.csv", "CSVWithNames")}) SELECT number AS n, toString(number * 2) AS s FROM numbers(5)` });
    const rows = await (await ch.query({ query: `SELECT n, s FROM s3(${s3Args("node-test/csv/a.csv", "CSVWithNames")}) ORDER BY n`, format: "JSONEachRow" })).json();
    expect(rows).toEqual([0, 1, 2, 3, 4].map((n) => ({ n, s: String(n * 2) })));
  });

  it("takes a multipart upload (parts of 5 MiB) of a gzip file and reads it back", async () => {
    await ch.command({
      query: `INSERT INTO FUNCTION s3(${s3Args("node-test/big/b.csv.gz", "CSV")}, 'auto', 'gzip') SELECT number, repeat('x', 100) FROM numbers(150000)`,
      clickhouse_settings: { s3_max_single_part_upload_size: "1000000", s3_min_upload_part_size: "5242880", output_format_compression_level: 1 },
    });
    const rows = await (await ch.query({ query: `SELECT count() AS c, sum(c1) AS s FROM s3(${s3Args("node-test/big/b.csv.gz", "CSV")}, 'auto', 'gzip')`, format: "JSONEachRow" })).json();
    expect(rows).toEqual([{ c: 150000, s: 11249925000 }]);
  });

  it("a failed multipart INSERT is aborted by ClickHouse and leaves neither an object nor parts", async () => {
    const message = await clickhouseError(
      `INSERT INTO FUNCTION s3(${s3Args("node-test/failed/{_partition_id}.csv", "CSV")}) PARTITION BY number % 2 ` +
        `SELECT number, repeat('x', 200), throwIf(number = 120000) FROM numbers(150000) ` +
        `SETTINGS s3_max_single_part_upload_size = 1000000, s3_min_upload_part_size = 5242880`,
    );
    expect(message).toContain("throwIf");
    const listed = await (await ch.query({ query: `SELECT count() AS c FROM s3(${s3Args("node-test/failed/*", "One")})`, format: "JSONEachRow" })).json();
    expect(listed).toEqual([{ c: 0 }]);
    expect(await readdir(join(dataDir, "node-test", "._S3rver_uploads")).catch(() => [])).toEqual([]);
  });

  it("refuses a wrong secret with 403, and ClickHouse's error does not carry the secret", async () => {
    const message = await clickhouseError(`INSERT INTO FUNCTION s3(${s3Args("node-test/csv/wrong.csv", "CSVWithNames", ACCESS_KEY, WRONG_SECRET)}) SELECT 1 AS x`);
    expect(message).toContain("403");
    expect(message).not.toContain(WRONG_SECRET);
    expect(message).not.toContain(SECRET);
  });

  it("refuses s3rver's built-in key pair and unknown keys", async () => {
    for (const [key, secret] of [["S3RVER", "S3RVER"], ["someone-else", SECRET]]) {
      const message = await clickhouseError(`INSERT INTO FUNCTION s3(${s3Args("node-test/csv/other.csv", "CSVWithNames", key, secret)}) SELECT 1 AS x`);
      expect(message).toContain("403");
    }
  });

  it("refuses unsigned requests as AccessDenied", async () => {
    const put = await fetch(`${s3.url}/node-test/anon.txt`, { method: "PUT", body: "hello" });
    const get = await fetch(`${s3.url}/node-test/csv/a.csv`);
    expect([put.status, get.status]).toEqual([403, 403]);
    expect(await put.text()).toContain("<Code>AccessDenied</Code>");
  });

  it("a read-only bucket refuses writes with Access Denied; the bucket exists", async () => {
    const message = await clickhouseError(`INSERT INTO FUNCTION s3(${s3Args("node-test-ro/x.csv", "CSVWithNames")}) SELECT 1 AS x`);
    expect(message).toContain("Access Denied");
    const missing = await clickhouseError(`INSERT INTO FUNCTION s3(${s3Args("no-such-bucket/x.csv", "CSVWithNames")}) SELECT 1 AS x`);
    expect(missing).toContain("bucket does not exist");
  });

  it("stop() ends the process with exit code 0; objects are there after a restart on the same data dir", async () => {
    await s3.stop();
    expect(await s3.exit).toEqual({ code: 0, signal: null });
    await expect(fetch(`${s3.url}/node-test/csv/a.csv`)).rejects.toThrow();
    s3 = await spawnLocalS3({ dataDir, accessKey: ACCESS_KEY, secretKey: SECRET, buckets: ["node-test"] });
    const rows = await (await ch.query({ query: `SELECT count() AS c FROM s3(${s3Args("node-test/csv/a.csv", "CSVWithNames")})`, format: "JSONEachRow" })).json();
    expect(rows).toEqual([{ c: 5 }]);
  });
});
