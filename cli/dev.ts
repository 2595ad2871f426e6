/**
 * `npm run dev`: the whole local platform in one command. Starts the local
 * ClickHouse (persistent data dir) and the local S3 server that sinks write to,
 * then `wrangler dev` with local persistence, waits for `/v0/health`, and prints
 * the base URL, the workspace admin token and the S3 server's URL and key pair.
 * Ctrl-C (or SIGTERM) stops every child process group.
 */
import { createWriteStream } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadOrCreateLocalState } from "./dev/local-state.js";
import { spawnGroup } from "./dev/process-group.js";
import { waitForHttp } from "./dev/wait-for.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** The local S3 server's bucket for sinks (any other must be created first). */
const LOCAL_BUCKET = "tern-local";

const usage = `Usage: npm run dev -- [options]

Starts the local Tern platform: a local ClickHouse, a local S3 server and the Worker
under wrangler dev.

Options:
  --port <n>              API port (default 7181, Tinybird Local's)
  --clickhouse-port <n>   local ClickHouse HTTP port (default 7182)
  --data-dir <dir>        where data and tokens persist (default .tern/local)
  --clickhouse-url <url>  use this ClickHouse instead of starting the local one
  --clickhouse-user <u>   user for --clickhouse-url (default "default")
  --clickhouse-password <p>
  --compat <version>      make the local ClickHouse behave like this production version
  --s3-port <n>           local S3 server port (default 7183); sinks' s3:// and gs://
                          buckets are its buckets (docs/sinks.md)
  --kafka                 also start a real Apache Kafka broker (KRaft, one node; jars
                          from Maven Central into .tern/cache/ on the first run; needs
                          java 17+ and mvn) and print its address (docs/connectors.md)
  --kafka-port <n>        its port (default 7184); --kafka also starts a Confluent-compatible
                          schema registry for Avro datasources (Apicurio Registry, built
                          from Maven Central into .tern/cache/ on the first run; schemas
                          kept in memory) and prints its URL
  --schema-registry-port <n>  its port (default 7185)
  --inspect               keep wrangler's DevTools proxy (console, network panel);
                          off by default, see below
  --inspector-port <n>    DevTools port with --inspect (default: a free one)
  --log-level <level>     wrangler's log level: warn (default), none, error, info, log, debug;
                          info adds a line per request and per queue batch
  -h, --help              show this help

Without --inspect, wrangler dev runs without its DevTools inspector proxy: that
proxy enables the runtime's Network domain, which adds ~2-3 ms to every fetch
the Worker makes (each ClickHouse query). Worker logs still reach the log file.
At info level, wrangler's proxy reports every request to wrangler's Node
process, ~0.5 ms per request; the Worker's own logs are warnings and errors.

TERN_SECRET_<NAME> variables in this environment reach the Worker: they give
{{ tb_secret("<NAME>") }} in .connection files its value. S3_ACCESS_KEY and S3_SECRET
are set to the local S3 server's key pair unless given.`;

const stops: Array<() => Promise<void>> = [];
let stopping = false;

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log("\nStopping Tern…");
  for (const stop of stops.reverse()) await stop().catch((e) => console.error(e));
  process.exit(code);
}

async function main(): Promise<void> {
  process.on("SIGINT", () => void shutdown(0));
  process.on("SIGTERM", () => void shutdown(0));
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "7181" },
      "clickhouse-port": { type: "string", default: "7182" },
      "data-dir": { type: "string", default: join(repoRoot, ".tern", "local") },
      "clickhouse-url": { type: "string" },
      "clickhouse-user": { type: "string", default: "default" },
      "clickhouse-password": { type: "string", default: "" },
      "s3-port": { type: "string", default: "7183" },
      kafka: { type: "boolean", default: false },
      "kafka-port": { type: "string", default: "7184" },
      "schema-registry-port": { type: "string", default: "7185" },
      compat: { type: "string" },
      inspect: { type: "boolean", default: false },
      "inspector-port": { type: "string", default: "0" },
      "log-level": { type: "string", default: "warn" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const port = Number(values.port);
  const chPort = Number(values["clickhouse-port"]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: not a port: ${values.port}`);
  if (!Number.isInteger(chPort) || chPort < 0 || chPort > 65535) throw new Error(`--clickhouse-port: not a port: ${values["clickhouse-port"]}`);
  const s3Port = Number(values["s3-port"]);
  if (!Number.isInteger(s3Port) || s3Port < 0 || s3Port > 65535) throw new Error(`--s3-port: not a port: ${values["s3-port"]}`);
  const kafkaPort = Number(values["kafka-port"]);
  if (!Number.isInteger(kafkaPort) || kafkaPort < 0 || kafkaPort > 65535) throw new Error(`--kafka-port: not a port: ${values["kafka-port"]}`);
  const registryPort = Number(values["schema-registry-port"]);
  if (!Number.isInteger(registryPort) || registryPort < 0 || registryPort > 65535) throw new Error(`--schema-registry-port: not a port: ${values["schema-registry-port"]}`);

  const logLevels = ["none", "error", "warn", "info", "log", "debug"];
  if (!logLevels.includes(values["log-level"])) throw new Error(`--log-level: one of ${logLevels.join(", ")}, not ${values["log-level"]}`);

  const dataDir = resolve(values["data-dir"]);
  await mkdir(dataDir, { recursive: true });
  const state = await loadOrCreateLocalState(dataDir);


  let clickhouse: { url: string; user: string; password: string; version?: string };
  if (values["clickhouse-url"]) {
    clickhouse = { url: values["clickhouse-url"], user: values["clickhouse-user"], password: values["clickhouse-password"] };
  } else {
    const { spawnLocalClickHouse } = await import("../clickhouse-local/spawn.js");
    const server = await spawnLocalClickHouse({
      port: chPort,
      dataDir: join(dataDir, "clickhouse"),
      user: state.clickhouse.user,
      password: state.clickhouse.password,
      ...(values.compat ? { compat: values.compat } : {}),
    });
    stops.push(() => server.stop());
    clickhouse = { url: server.url, user: state.clickhouse.user, password: state.clickhouse.password, version: server.version };
  }

  // The local S3 server sinks write to: its key pair is made once and kept with its data.
  const { spawnLocalS3 } = await import("../s3-local/spawn.js");
  const { loadOrCreateCredentials } = await import("../s3-local/credentials.js");
  const s3Dir = join(dataDir, "s3");
  const s3Keys = await loadOrCreateCredentials(s3Dir);
  const s3 = await spawnLocalS3({ port: s3Port, dataDir: join(s3Dir, "data"), accessKey: s3Keys.accessKey, secretKey: s3Keys.secretKey, buckets: [LOCAL_BUCKET] });
  stops.push(() => s3.stop());

  // The local Kafka broker (--kafka): data kept in <data-dir>/kafka, same port each run.
  // Beside it, the schema registry Avro datasources read through (schemas in memory).
  let kafkaAddress: string | undefined;
  let registryUrl: string | undefined;
  if (values.kafka) {
    const { startKafkaBroker } = await import("../kafka-local/broker.js");
    const { startSchemaRegistry } = await import("../kafka-local/registry.js");
    console.log("Starting the local Kafka broker and schema registry (the first run installs them from Maven Central)…");
    const [broker, registry] = await Promise.allSettled([
      startKafkaBroker({ dataDir: join(dataDir, "kafka"), port: kafkaPort }),
      startSchemaRegistry({ port: registryPort }),
    ]);
    if (broker.status === "fulfilled") stops.push(() => broker.value.stop());
    if (registry.status === "fulfilled") stops.push(() => registry.value.stop());
    if (broker.status === "rejected") throw broker.reason;
    if (registry.status === "rejected") throw registry.reason;
    kafkaAddress = broker.value.address;
    registryUrl = registry.value.url;
  }

  // Values go through an env file, not argv: they stay out of `ps` output.
  const envFile = join(dataDir, "worker.env");
  const vars: Record<string, string> = {
    TERN_MODE: "local",
    CLICKHOUSE_URL: clickhouse.url,
    CLICKHOUSE_USER: clickhouse.user,
    CLICKHOUSE_PASSWORD: clickhouse.password,
    TERN_CREDENTIALS: JSON.stringify(state.credentials),
    TERN_S3_ENDPOINT: s3.url,
    TERN_GCS_ENDPOINT: s3.url,
    TERN_SECRET_S3_ACCESS_KEY: s3Keys.accessKey,
    TERN_SECRET_S3_SECRET: s3Keys.secretKey,
    // The caller's own secrets win over the defaults above.
    ...Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith("TERN_SECRET_") && e[1] !== undefined)),
  };
  await writeFile(envFile, Object.entries(vars).map(([k, v]) => `${k}='${v}'`).join("\n") + "\n", { mode: 0o600 });

  const log = createWriteStream(join(dataDir, "wrangler.log"), { flags: "a" });
  const wrangler = spawnGroup(
    join(repoRoot, "node_modules", ".bin", "wrangler"),
    [
      "dev",
      "--config", join(repoRoot, "wrangler.toml"),
      "--ip", "127.0.0.1",
      "--port", String(port),
      "--persist-to", join(dataDir, "wrangler"),
      "--env-file", envFile,
      "--show-interactive-dev-session=false",
      "--inspector-port", values["inspector-port"],
      "--log-level", values["log-level"],
    ],
    {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: "false",
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
        CI: process.env.CI ?? "",
        // wrangler's own switch for "a debugger attaches to workerd directly" (it
        // is set in VS Code debug terminals): no InspectorProxyWorker, so the
        // runtime's Network domain stays off and outbound fetches are not traced.
        // A real VS Code debug terminal's value is kept as it is.
        ...(values.inspect || process.env.VSCODE_INSPECTOR_OPTIONS ? {} : { VSCODE_INSPECTOR_OPTIONS: "tern-dev:inspector-proxy-off" }),
      },
    },
  );
  wrangler.child.stdout?.pipe(log);
  wrangler.child.stderr?.pipe(log);
  stops.push(() => wrangler.stop());
  let workerAlive = true;
  void wrangler.exited.then((code) => {
    workerAlive = false;
    if (!stopping) {
      console.error(`wrangler dev exited (code ${code}); see ${join(dataDir, "wrangler.log")}`);
      void shutdown(1);
    }
  });

  const base = `http://localhost:${port}`;
  const health = await (await waitForHttp(`http://127.0.0.1:${port}/v0/health`, 120_000, () => workerAlive)).json() as {
    clickhouse: { version?: string };
  };
  console.log(
    [
      "",
      "Tern local platform is running",
      `  API:         ${base}`,
      `  Console:     ${base}/ui/ (sign in with the admin token below, or \`tern open\`)`,
      `  ClickHouse:  ${clickhouse.url} (ClickHouse ${health.clickhouse.version ?? clickhouse.version ?? "?"})`,
      `  S3:          ${s3.url} (bucket s3://${LOCAL_BUCKET}/; access key ${s3Keys.accessKey}, secret ${s3Keys.secretKey})`,
      ...(kafkaAddress ? [`  Kafka:       ${kafkaAddress} (bootstrap servers; docs/connectors.md)`] : []),
      ...(registryUrl ? [`  Registry:    ${registryUrl} (KAFKA_SCHEMA_REGISTRY_URL for Avro)`] : []),
      `  Workspace:   ${state.credentials.workspaceName} (${state.credentials.workspaceId})`,
      `  Admin token: ${state.credentials.workspaceAdminToken}`,
      `  Data:        ${dataDir}`,
      "",
      `  export TERN_HOST=${base} TERN_TOKEN=${state.credentials.workspaceAdminToken}`,
      "",
      "Press Ctrl-C to stop.",
    ].join("\n"),
  );
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  void shutdown(1);
});
