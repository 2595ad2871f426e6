/**
 * @module progress
 * Step lines on stderr for long work (`→ Deploying 7 datafiles…`), shown only
 * when stderr is a terminal, so piped output and CI logs stay exact.
 */
import type { CliIO } from "./command.js";

export interface Progress {
  step(message: string): void;
}

export function progress(io: CliIO): Progress {
  return { step: (message) => (io.errIsTTY ? io.err(`→ ${message}`) : undefined) };
}
