/**
 * CLI: `tsx clickhouse-local/main.ts --port 8123 --data-dir DIR [options]`.
 * Prints one line once ready:
 *   clickhouse-local listening on http://127.0.0.1:PORT (ClickHouse VERSION)
 */
import { parseArgs } from "node:util";
import { startLocalClickHouse } from "./server.js";

const USAGE = `Usage: tsx clickhouse-local/main.ts --data-dir DIR [options]

A ClickHouse HTTP interface on the chDB engine, with its data in DIR.

Options:
  --data-dir DIR        data directory (created if missing; required)
  --port N              port to listen on (default 8123; 0 = any free port)
  --host H              address to listen on (default 127.0.0.1)
  --user U              user name clients must send (default "default")
  --password P          password clients must send (default: $CLICKHOUSE_LOCAL_PASSWORD, else empty)
  --pool N              engine connections that may run at once (default 8)
  --admin-reserve N     of those, how many only the --user may use (default 2, at most pool - 1)
  --compat VERSION      behave like this ClickHouse version (the compatibility setting), e.g. 24.8
  --max-body-bytes N    largest accepted request body (default 1073741824)
  --exit-with-stdin     shut down when stdin closes (used by spawn.ts so the server dies with its parent)
  --quiet               no log lines on stderr
  --help                this text
`;

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        "data-dir": { type: "string" },
        port: { type: "string", default: "8123" },
        host: { type: "string", default: "127.0.0.1" },
        user: { type: "string", default: "default" },
        password: { type: "string", default: process.env.CLICKHOUSE_LOCAL_PASSWORD ?? "" },
        pool: { type: "string", default: "8" },
        "admin-reserve": { type: "string" },
        compat: { type: "string" },
        "max-body-bytes": { type: "string" },
        "exit-with-stdin": { type: "boolean", default: false },
        quiet: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
      strict: true,
    }));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (!values["data-dir"]) {
    process.stderr.write(`--data-dir is required\n\n${USAGE}`);
    process.exit(2);
  }
  const int = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) {
      process.stderr.write(`--${name}: not a non-negative integer: ${v}\n`);
      process.exit(2);
    }
    return n;
  };
  const log = values.quiet ? () => {} : (line: string) => process.stderr.write(`clickhouse-local: ${line}\n`);
  // Signal handlers go in before anything starts: a SIGTERM that arrives while
  // starting, or right after the ready line, must still end in a clean exit.
  let server: Awaited<ReturnType<typeof startLocalClickHouse>> | undefined;
  let stopRequested: string | undefined;
  let stopping = false;
  const stop = (why: string) => {
    if (!server) {
      stopRequested ??= why;
      return;
    }
    if (stopping) return;
    stopping = true;
    log(`${why}: shutting down`);
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    server.close().then(
      () => process.exit(0),
      (e: unknown) => {
        log(`shutdown failed: ${String(e)}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  if (values["exit-with-stdin"]) {
    process.stdin.on("end", () => stop("stdin closed"));
    process.stdin.on("close", () => stop("stdin closed"));
    process.stdin.resume();
  }

  server = await startLocalClickHouse({
    dataDir: values["data-dir"],
    port: int("port", values.port),
    host: values.host,
    user: values.user,
    password: values.password,
    poolSize: int("pool", values.pool),
    ...(values["admin-reserve"] !== undefined ? { adminReserve: int("admin-reserve", values["admin-reserve"]) } : {}),
    ...(values.compat ? { compat: values.compat } : {}),
    ...(values["max-body-bytes"] ? { maxBodyBytes: int("max-body-bytes", values["max-body-bytes"]) } : {}),
    log,
  });
  if (stopRequested) return stop(stopRequested);
  process.stdout.write(`clickhouse-local listening on ${server.url} (ClickHouse ${server.version})\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`clickhouse-local: failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
