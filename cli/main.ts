/** The `tern` process: real stdio, real exit code. */
import type { CliIO } from "./command.js";
import { createInterface } from "node:readline/promises";
import { runCli } from "./run.js";

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

const io: CliIO = {
  out: (t) => process.stdout.write(t.endsWith("\n") ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith("\n") ? t : `${t}\n`),
  cwd: process.cwd(),
  env: process.env,
  errIsTTY: process.stderr.isTTY === true,
  errWrite: (t) => process.stderr.write(t),
  ...(process.stdin.isTTY ? { confirm } : {}),
};
process.exitCode = await runCli(process.argv.slice(2), io);
