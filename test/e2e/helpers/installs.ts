// The e2e files' first-run installs, done once per run in the e2e globalSetup
// (./shared-platform.ts) beside the shared platform's start: Tinybird's CLI
// (test/setup/tinybird-cli.ts), Debian's Chromium (test/setup/chromium.ts), and
// the Kafka broker's jars and schema registry's build from Maven Central
// (kafka-local/, for kafka.test.ts's `npm run dev -- --kafka`, which would
// otherwise spend its launcher's wait on them). All are network-bound on a fresh
// machine and instant once cached. A failure
// here is not the run's: it is left for the files that need the install, which
// try again and fail (or skip, without Python) with the reason in their title.
import { ensureChromium } from "../../setup/chromium.js";
import { findPython, installTinybirdCli } from "../../setup/tinybird-cli.js";
import { installKafka } from "../../../kafka-local/install.js";
import { installSchemaRegistry } from "../../../kafka-local/registry-install.js";

export async function prepareInstalls(): Promise<void> {
  const python = findPython();
  await Promise.all([
    python.ok ? installTinybirdCli(python).catch(() => undefined) : undefined,
    ensureChromium().catch(() => undefined),
    // One after the other: both run Maven on the same local repository.
    installKafka().then(() => installSchemaRegistry()).catch(() => undefined),
  ]);
}
