/** The `tern` process: real stdio, real exit code. */
import type { CliIO } from "./command.js";
import { runCli } from "./run.js";

const io: CliIO = {
  out: (t) => process.stdout.write(t.endsWith("\n") ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith("\n") ? t : `${t}\n`),
  cwd: process.cwd(),
  env: process.env,
  errIsTTY: process.stderr.isTTY === true,
};
process.exitCode = await runCli(process.argv.slice(2), io);
