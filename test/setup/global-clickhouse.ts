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
  }
}

/**
 * Starts one real local ClickHouse (chDB behind our HTTP server) on a free port
 * for the whole run; each test file then works in its own database.
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
  if (process.env.TERN_TEST_CLICKHOUSE === "off") {
    project.provide("clickhouseUrl", "http://127.0.0.1:9");
    return;
  }
  if (process.env.TERN_TEST_CLICKHOUSE_URL) {
    project.provide("clickhouseUrl", process.env.TERN_TEST_CLICKHOUSE_URL);
    return;
  }
  // Imported lazily so unit-only runs never load the server code.
  const { spawnLocalClickHouse } = await import("../../clickhouse-local/spawn.js");
  const dataDir = await mkdtemp(join(tmpdir(), "tern-test-ch-"));
  const server = await spawnLocalClickHouse({ port: 0, dataDir, user, password });
  project.provide("clickhouseUrl", server.url);
  return async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
