/**
 * CLI: `tsx s3-local/main.ts --data-dir DIR --access-key KEY [options]`, the
 * secret key in `$S3_LOCAL_SECRET_KEY`. Prints one line once ready:
 *   s3-local listening on http://127.0.0.1:PORT
 */
import { parseArgs } from "node:util";
import { startLocalS3, type RunningS3 } from "./server.js";

const USAGE = `Usage: S3_LOCAL_SECRET_KEY=… tsx s3-local/main.ts --data-dir DIR --access-key KEY [options]

A local S3-compatible server (path-style URLs, AWS signature v4) with its objects in DIR.

Options:
  --data-dir DIR            where buckets and objects live (created if missing; required)
  --access-key KEY          the one access key requests must be signed with (required)
                            (the secret key comes from $S3_LOCAL_SECRET_KEY, never argv)
  --port N                  port to listen on (default 0: any free port)
  --host H                  address to listen on (default 127.0.0.1)
  --bucket NAME             a bucket to create if missing (repeatable)
  --read-only-bucket NAME   a bucket that refuses every write (repeatable)
  --exit-with-stdin         shut down when stdin closes (spawn.ts: the server dies with its parent)
  --quiet                   no log lines on stderr
  --help                    this text
`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        "data-dir": { type: "string" },
        "access-key": { type: "string" },
        port: { type: "string", default: "0" },
        host: { type: "string", default: "127.0.0.1" },
        bucket: { type: "string", multiple: true, default: [] },
        "read-only-bucket": { type: "string", multiple: true, default: [] },
        "exit-with-stdin": { type: "boolean", default: false },
        quiet: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
      strict: true,
    }));
  } catch (e) {
    fail((e as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (!values["data-dir"]) fail("--data-dir is required");
  if (!values["access-key"]) fail("--access-key is required");
  const secretKey = process.env.S3_LOCAL_SECRET_KEY;
  if (!secretKey) fail("S3_LOCAL_SECRET_KEY is not set");
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port: not a port: ${values.port}`);
  const log = values.quiet ? () => {} : (line: string) => process.stderr.write(`s3-local: ${line}\n`);

  // Signal handlers first: a SIGTERM while starting must still end in a clean exit.
  let server: RunningS3 | undefined;
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
    const force = setTimeout(() => process.exit(1), 10_000);
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

  server = await startLocalS3({
    dataDir: values["data-dir"],
    port,
    host: values.host,
    accessKey: values["access-key"],
    secretKey,
    buckets: values.bucket,
    readOnlyBuckets: values["read-only-bucket"],
    log,
  });
  if (stopRequested) return stop(stopRequested);
  process.stdout.write(`s3-local listening on ${server.url}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`s3-local: failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
