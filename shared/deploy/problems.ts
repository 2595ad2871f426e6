/**
 * @module deploy/problems
 * What the project validator finds, in one shape for every caller: the
 * datafile it belongs to, where it is (that file, or a fragment it INCLUDEs),
 * and the message. `tern check` prints `problemText`; `/v1/deploy` answers
 * `{filename, error}` with the same text (`deployProblem`), so both show a
 * problem the same way.
 */
import type { SourcePosition } from "../datafiles/index.js";

export interface Problem extends SourcePosition {
  /** The datafile the problem belongs to, as the caller named it (`pipes/top.pipe`). */
  filename: string;
  /** Without the `file:line:column: ` prefix. */
  message: string;
}

/** One problem as `/v1/deploy` answers it (Tinybird's `errors: [{filename, error}]`). */
export interface ProjectProblem {
  filename: string;
  error: string;
}

/** `file:line:column: message`, as the datafile parser writes its errors. */
export function problemText(p: Problem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.message}`;
}

export function deployProblem(p: Problem): ProjectProblem {
  return { filename: p.filename, error: problemText(p) };
}

/**
 * Problems of one validation. A place and message reported twice (two node
 * chains through the same broken node) is kept once.
 */
export class Problems {
  readonly list: Problem[] = [];
  private readonly seen = new Set<string>();

  add(filename: string, at: SourcePosition, message: string): void {
    const key = JSON.stringify([filename, at.file, at.line, at.column, message]);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push({ filename, file: at.file, line: at.line, column: at.column, message });
  }
}
