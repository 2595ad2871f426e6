// The Kafka broker of a running `npm run dev -- --kafka` (its JVM under the
// launcher's process group), stopped and started again by a test: SIGTERM to
// the JVM (a clean shutdown), then a broker of the test's own on the same
// port and data dir (topics, messages and committed offsets kept), which the
// test stops itself. The launcher does not restart a broker that exits.
import { join } from "node:path";
import { startKafkaBroker, type KafkaBroker } from "../../../kafka-local/broker.js";
import type { DevPlatform } from "./dev-platform.js";
import { commandOf, descendantsOf, isAlive } from "./processes.js";

function devBrokerPid(platform: DevPlatform): number | undefined {
  return descendantsOf(platform.child.pid!).find((pid) => / kafka\.Kafka /.test(` ${commandOf(pid)} `));
}

async function waitUntilGone(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`the Kafka broker (pid ${pid}) did not exit within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Stops the platform's broker (or the test's, after an earlier restart) and starts it again on `port`. */
export async function restartDevKafka(platform: DevPlatform, port: number, current?: KafkaBroker): Promise<KafkaBroker> {
  if (current) {
    await current.stop();
  } else {
    const pid = devBrokerPid(platform);
    if (pid === undefined) throw new Error("no Kafka broker under npm run dev (started without --kafka?)");
    process.kill(pid, "SIGTERM");
    await waitUntilGone(pid, 60_000);
  }
  return startKafkaBroker({ dataDir: join(platform.dataDir, "kafka"), port });
}
