/**
 * The local schema registry (`registry-install.ts`): one JVM serving the
 * Confluent Schema Registry API at `/apis/ccompat/v6` (register a schema under
 * a subject, fetch a schema by id, as Avro producers and ClickHouse's
 * `AvroConfluent` format do). Schemas are kept in memory (the app's in-memory
 * H2 database): a restart forgets them, and the ids start again at 1.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { freePort } from "./free-port.js";
import { installSchemaRegistry } from "./registry-install.js";

export interface SchemaRegistryOptions {
  /** The HTTP port; 0 (default) picks a free one. */
  port?: number;
  host?: string;
}

export interface SchemaRegistry {
  /** The Confluent-compatible API's base URL, as a connection's KAFKA_SCHEMA_REGISTRY_URL takes it. */
  readonly url: string;
  readonly port: number;
  /** SIGTERM, then waits for the JVM to exit. */
  stop(): Promise<void>;
}

export async function startSchemaRegistry(opts: SchemaRegistryOptions = {}): Promise<SchemaRegistry> {
  const host = opts.host ?? "127.0.0.1";
  const jar = await installSchemaRegistry();
  const port = opts.port || (await freePort(host));
  const url = `http://${host}:${port}/apis/ccompat/v6`;
  let output = "";
  const child: ChildProcess = spawn(
    "java",
    ["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", `-Dquarkus.http.port=${port}`, `-Dquarkus.http.host=${host}`, "-jar", jar],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
  child.stderr?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
  let gone = false;
  const exited = new Promise<void>((res) => child.once("exit", () => ((gone = true), res())));
  // The registry never outlives this process: when our pipe to the watchdog closes, it kills the JVM.
  const watchdog = spawn("sh", ["-c", `cat >/dev/null; kill -9 ${child.pid} 2>/dev/null`], { stdio: ["pipe", "ignore", "ignore"] });
  watchdog.unref();
  const deadline = Date.now() + 180_000;
  for (;;) {
    const ok = await fetch(`${url}/subjects`).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (gone) throw new Error(`kafka-local: the schema registry exited while starting:\n${output}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`kafka-local: the schema registry did not answer on ${url} within 180 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return {
    url,
    port,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
      watchdog.stdin?.end();
    },
  };
}
