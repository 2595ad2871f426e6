/**
 * @module
 * Problems found while reading a datafile. Parsing never throws for bad input:
 * every problem becomes a `DatafileError` value with the place it was found.
 */

/** Where in which file a problem is; `line` and `column` are 1-based. */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/**
 * One problem in a datafile: a value, returned, never thrown (it is an `Error`
 * for its message and stack only). It reaches a caller once, as a problem of
 * the project validator (`shared/deploy/problems.ts`): `tern check` prints it,
 * `/v1/deploy` answers it in the 400 of a refused deploy (the TernError made
 * by `refusal` in `workers/deploy/routes.ts`).
 */
export class DatafileError extends Error {
  override readonly name = "DatafileError";
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The message without the `file:line:column` prefix. */
  readonly detail: string;

  constructor(position: SourcePosition, detail: string) {
    super(`${position.file}:${position.line}:${position.column}: ${detail}`);
    this.file = position.file;
    this.line = position.line;
    this.column = position.column;
    this.detail = detail;
  }

  toJSON(): { file: string; line: number; column: number; message: string } {
    return { file: this.file, line: this.line, column: this.column, message: this.detail };
  }
}

/** Deprecated or ignored syntax that still loads (Tinybird only warns about it). */
export interface DatafileWarning extends SourcePosition {
  message: string;
}

/** Collects problems for one parse; shared by the per-kind parsers. */
export class Diagnostics {
  readonly errors: DatafileError[] = [];
  readonly warnings: DatafileWarning[] = [];

  error(position: SourcePosition, detail: string): void {
    this.errors.push(new DatafileError(position, detail));
  }

  warn(position: SourcePosition, message: string): void {
    this.warnings.push({ file: position.file, line: position.line, column: position.column, message });
  }
}
