/**
 * @module command
 * The shape every `tern` command has: a name, a one-line summary, its help text
 * and a `run` that returns the process exit code.
 */
export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** True when stderr is a terminal: progress lines are shown only then. */
  errIsTTY?: boolean;
  /** Writes to stderr as is (no newline added): progress bars redraw a line with "\r". */
  errWrite?: (text: string) => void;
  /** Asks a yes/no question on the terminal; absent when stdin is not a terminal. */
  confirm?: (question: string) => Promise<boolean>;
  /** HTTP client; tests may inject one. Defaults to the global `fetch`. */
  fetch?: typeof fetch;
}

export interface Command {
  name: string;
  summary: string;
  help: string;
  run(args: string[], io: CliIO): Promise<number>;
}

/** A usage mistake: printed with the command's help, exit code 2. */
export class UsageError extends Error {}
