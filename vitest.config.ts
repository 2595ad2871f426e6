import { defineConfig } from "vitest/config";
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { mkdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";

// One command runs every layer: `shared/` units in Node, Node-side integration
// (local ClickHouse server, CLI), and Worker code inside workerd. A single
// global setup starts one real local ClickHouse for all of them.
// wrangler.toml's [assets] directory must exist for the workers project even
// before the console is built (console/build.ts; the e2e console test builds it).
mkdirSync(join(import.meta.dirname, "console", "dist"), { recursive: true });

export default defineConfig({
  test: {
    globalSetup: ["./test/setup/global-clickhouse.ts"],
    // The e2e globalSetup's teardown stops a whole `npm run dev` (Ctrl-C, then
    // up to 20 s for it to exit: test/e2e/helpers/dev-platform.ts).
    teardownTimeout: 40_000,
    reporters: ["default", "./test/setup/summary-reporter.ts"],
    // Two test files at a time at least. Most files spend their time waiting:
    // on child processes (`npm run dev`, a Kafka broker, ClickHouse restarts and
    // outages, tb), on workerd starting, on ClickHouse; vitest's default (one
    // file per core but one, so ONE on 2 cores) leaves the CPU idle meanwhile.
    // Projects still run one after another (vitest orders files by project:
    // e2e, node, unit, workers), so they overlap only where one hands over.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        test: {
          name: "node",
          include: ["test/node/**/*.test.ts"],
          environment: "node",
          // The slowest (lifecycle's ~1 GB stream) took 31.5 s with the machine at
          // load 6.5 on 2 cores; its own client waits up to 120 s.
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          // One `npm run dev` shared by the e2e files that opt in (each in a
          // workspace of its own; test/README.md), and the first run's installs.
          globalSetup: ["./test/e2e/helpers/shared-platform.ts"],
          testTimeout: 60_000,
          hookTimeout: 240_000,
        },
      },
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              compatibilityFlags: ["service_binding_extra_handlers"],
              bindings: {
                CLICKHOUSE_URL: inject("clickhouseUrl"),
                CLICKHOUSE_USER: inject("clickhouseUser"),
                CLICKHOUSE_PASSWORD: inject("clickhousePassword"),
                TERN_MODE: "local",
                // The ClickHouse interface's own hostname (test/workers/clickhouse-interface.test.ts).
                TERN_CLICKHOUSE_HOST: "clickhouse.tern.test",
                TERN_CREDENTIALS: inject("localCredentials"),
                // Sinks: s3:// and gs:// buckets are the local S3 server's; the
                // tests' .connection files name these two secrets.
                TERN_S3_ENDPOINT: inject("s3Url"),
                TERN_GCS_ENDPOINT: inject("s3Url"),
                TERN_SECRET_TEST_S3_KEY: inject("s3AccessKey"),
                TERN_SECRET_TEST_S3_SECRET: inject("s3SecretKey"),
              },
            },
          })),
        ],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
          testTimeout: 30_000,
        },
      },
    ],
  },
});
