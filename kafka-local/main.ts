/**
 * `npx tsx kafka-local/main.ts --data-dir DIR [--port N]`: installs the broker
 * if needed, starts it, prints `kafka-local listening on HOST:PORT`, and stops
 * it cleanly on SIGTERM/SIGINT or when stdin closes.
 */
import { parseArgs } from "node:util";
import { startKafkaBroker } from "./broker.js";

const { values } = parseArgs({
  options: {
    "data-dir": { type: "string", default: ".tern/kafka" },
    port: { type: "string", default: "0" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  process.stdout.write("usage: kafka-local/main.ts [--data-dir .tern/kafka] [--port 0]\n");
  process.exit(0);
}
const broker = await startKafkaBroker({ dataDir: values["data-dir"], port: Number(values.port) });
process.stdout.write(`kafka-local listening on ${broker.address}\n`);
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void broker.stop().then(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdin.on("end", stop);
process.stdin.resume();
