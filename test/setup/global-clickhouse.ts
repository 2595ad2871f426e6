import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { createLocalCredentials } from "../../shared/tokens/local.js";

declare module "vitest" {
  export interface ProvidedContext {
    clickhouseUrl: string;
    clickhouseUser: string;
    clickhousePassword: string;
    /** JSON of shared/tokens/local.ts LocalCredentials, as `npm run dev` passes it to the Worker. */
    localCredentials: string;
    /** The local S3 server (s3-local/): `http://127.0.0.1:PORT`, buckets path-style under it. */
    s3Url: string;
    s3AccessKey: string;
    s3SecretKey: string;
    /** A bucket that takes writes. */
    s3Bucket: string;
    /** A bucket that refuses every write (403 Access Denied). */
    s3ReadOnlyBucket: string;
  }
}

const S3_ACCESS_KEY = "tern-test";
const S3_SECRET_KEY = "tern-test-s3-secret";
const S3_BUCKET = "tern-test";
const S3_READ_ONLY_BUCKET = "tern-test-readonly";

/**
 * Starts one real local ClickHouse (chDB behind our HTTP server) on a free port
 * for the whole run; each test file then works in its own database. Beside it,
 * one local S3 server (s3-local/) with a writable and a read-only bucket; each
 * test file writes under its own key prefix.
 * `TERN_TEST_CLICKHOUSE=off` skips it for quick unit-only runs;
 * `TERN_TEST_CLICKHOUSE_URL=http://…` uses a server that is already running
 * (user `tern`, password `tern-test-password`) instead of starting one.
 */
export default async function setup(project: TestProject) {
  const user = "tern";
  const password = "tern-test-password";
  project.provide("clickhouseUser", user);
  project.provide("clickhousePassword", password);
  project.provide("localCredentials", JSON.stringify(await createLocalCredentials("test")));
  project.provide("s3AccessKey", S3_ACCESS_KEY);
  project.provide("s3SecretKey", S3_SECRET_KEY);
  project.provide("s3Bucket", S3_BUCKET);
  project.provide("s3ReadOnlyBucket", S3_READ_ONLY_BUCKET);
  if (process.env.TERN_TEST_CLICKHOUSE === "off") {
    project.provide("clickhouseUrl", "http://127.0.0.1:9");
    project.provide("s3Url", "http://127.0.0.1:9");
    return;
  }
  const stops: Array<() => Promise<void>> = [];
  const teardown = async () => {
    for (const stop of stops.reverse()) await stop();
  };
  try {
    // Imported lazily so unit-only runs never load the server code.
    const { spawnLocalS3 } = await import("../../s3-local/spawn.js");
    const s3Dir = await mkdtemp(join(tmpdir(), "tern-test-s3-"));
    stops.push(() => rm(s3Dir, { recursive: true, force: true }));
    const s3 = await spawnLocalS3({
      dataDir: s3Dir, accessKey: S3_ACCESS_KEY, secretKey: S3_SECRET_KEY, buckets: [S3_BUCKET], readOnlyBuckets: [S3_READ_ONLY_BUCKET],
    });
    stops.push(() => s3.stop());
    project.provide("s3Url", s3.url);

    if (process.env.TERN_TEST_CLICKHOUSE_URL) {
      project.provide("clickhouseUrl", process.env.TERN_TEST_CLICKHOUSE_URL);
      return teardown;
    }
    const { spawnLocalClickHouse } = await import("../../clickhouse-local/spawn.js");
    const dataDir = await mkdtemp(join(tmpdir(), "tern-test-ch-"));
    stops.push(() => rm(dataDir, { recursive: true, force: true }));
    const server = await spawnLocalClickHouse({ port: 0, dataDir, user, password });
    stops.push(() => server.stop());
    project.provide("clickhouseUrl", server.url);
    return teardown;
  } catch (e) {
    await teardown();
    throw e;
  }
}
