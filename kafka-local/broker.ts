/**
 * A real single-node Apache Kafka broker in KRaft mode (broker and controller
 * in one JVM) on the machine's Java, with the jars installed by `install.ts`.
 * Its data directory survives `stop()` and `restart()`, and the ports stay the
 * same across restarts, so clients and ClickHouse's Kafka engine reconnect to
 * the same address.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { freePort } from "./free-port.js";
import { installKafka } from "./install.js";

export interface KafkaBrokerOptions {
  /** Kept across restarts: the log dirs and the cluster's metadata. */
  dataDir: string;
  /** The client port; 0 (default) picks a free one at the first start. */
  port?: number;
  host?: string;
  /** JVM heap, default 512m. */
  heap?: string;
  /**
   * Largest message the broker accepts (message.max.bytes), default 16 MiB: room
   * for a message over a Kafka datasource's 10 MiB limit per message, so that
   * limit can be shown locally (Apache Kafka's own default, 1 MB, refuses such a
   * message at the producer).
   */
  messageMaxBytes?: number;
  /** Partitions of an auto-created topic (num.partitions), default 1. */
  partitions?: number;
}

export interface KafkaBroker {
  /** `host:port`, the bootstrap address. */
  readonly address: string;
  readonly port: number;
  /** SIGTERM, then waits for the JVM to exit (a clean shutdown). */
  stop(): Promise<void>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same ports and data (after stop or kill). */
  start(): Promise<void>;
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect({ host, port });
    s.once("connect", () => {
      s.destroy();
      res(true);
    });
    s.once("error", () => res(false));
  });
}

/**
 * A KRaft cluster id: 16 random bytes, base64url without padding (as `kafka-storage random-uuid`).
 * Drawn again when it starts with "-": the storage tool would read it as an option
 * ("argument --cluster-id/-t: expected one argument"), and Kafka's own ids never do.
 */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

export async function startKafkaBroker(opts: KafkaBrokerOptions): Promise<KafkaBroker> {
  const host = opts.host ?? "127.0.0.1";
  const libs = await installKafka();
  await mkdir(opts.dataDir, { recursive: true });
  const logDir = join(opts.dataDir, "data");
  const props = join(opts.dataDir, "server.properties");
  const port = opts.port || (await freePort(host));
  const controllerPort = await freePort(host);
  await writeFile(
    props,
    [
      "process.roles=broker,controller",
      "node.id=1",
      `controller.quorum.voters=1@${host}:${controllerPort}`,
      `listeners=PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://${host}:${port}`,
      "controller.listener.names=CONTROLLER",
      "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
      "inter.broker.listener.name=PLAINTEXT",
      `log.dirs=${logDir}`,
      `num.partitions=${opts.partitions ?? 1}`,
      `message.max.bytes=${opts.messageMaxBytes ?? 16 * 1024 * 1024}`,
      "offsets.topic.replication.factor=1",
      "offsets.topic.num.partitions=4",
      "transaction.state.log.replication.factor=1",
      "transaction.state.log.min.isr=1",
      "share.coordinator.state.topic.replication.factor=1",
      "share.coordinator.state.topic.min.isr=1",
      "group.initial.rebalance.delay.ms=0",
      "auto.create.topics.enable=true",
      "",
    ].join("\n"),
  );
  const classpath = join(libs, "*");
  const heap = opts.heap ?? "512m";
  const jvm = [`-Xmx${heap}`, `-Xms${heap === "512m" ? "128m" : heap}`, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true", "-cp", classpath];

  if (!existsSync(join(logDir, "meta.properties"))) {
    await new Promise<void>((res, rej) => {
      const p = spawn("java", [...jvm, "kafka.tools.StorageTool", "format", "-t", clusterId(), "-c", props], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      p.stdout.on("data", (d: Buffer) => (out += d.toString()));
      p.stderr.on("data", (d: Buffer) => (out += d.toString()));
      p.once("error", rej);
      p.once("exit", (code) => (code === 0 ? res() : rej(new Error(`kafka-local: formatting ${logDir} failed (exit ${code}):\n${out}`))));
    });
  }

  let child: ChildProcess | undefined;
  let watchdog: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async () => {
    let output = "";
    const p = spawn("java", [...jvm, "kafka.Kafka", props], { stdio: ["ignore", "pipe", "pipe"] });
    child = p;
    p.stdout?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
    p.stderr?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
    let gone = false;
    exited = new Promise<void>((res) => p.once("exit", () => ((gone = true), res())));
    // The broker never outlives this process: when our stdin pipe to the
    // watchdog closes (this process exited or was killed), it kills the JVM.
    watchdog = spawn("sh", ["-c", `cat >/dev/null; kill -9 ${p.pid} 2>/dev/null`], { stdio: ["pipe", "ignore", "ignore"] });
    watchdog.unref();
    const deadline = Date.now() + 180_000;
    while (!(await canConnect(host, port))) {
      if (gone) throw new Error(`kafka-local: the broker exited while starting:\n${output}`);
      if (Date.now() > deadline) {
        p.kill("SIGKILL");
        throw new Error(`kafka-local: the broker did not listen on ${host}:${port} within 180 s:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const end = async (signal: NodeJS.Signals) => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
    watchdog?.stdin?.end();
    watchdog = undefined;
    child = undefined;
  };
  await start();
  return {
    address: `${host}:${port}`,
    port,
    stop: () => end("SIGTERM"),
    kill: () => end("SIGKILL"),
    start,
  };
}
