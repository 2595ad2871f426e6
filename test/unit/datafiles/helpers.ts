import { parseDatafile, type Datafile, type DatasourceFile, type PipeFile, type ConnectionFile } from "../../../shared/datafiles/index.js";
import type { ParseDatafileInput } from "../../../shared/datafiles/parse.js";

/** Joins lines so inputs read like the files they stand for. */
export const lines = (...l: string[]): string => l.join("\n");

export function parseOk(path: string, text: string, extra: Omit<ParseDatafileInput, "path" | "text"> = {}): Datafile {
  const result = parseDatafile({ path, text, ...extra });
  if (!result.ok) throw new Error(`expected ${path} to parse:\n${result.errors.map((e) => e.message).join("\n")}`);
  return result.file;
}

export function datasource(text: string, extra: Omit<ParseDatafileInput, "path" | "text"> = {}): DatasourceFile {
  const file = parseOk("ds.datasource", text, extra);
  if (file.kind !== "datasource") throw new Error("not a datasource");
  return file;
}

export function pipe(text: string, extra: Omit<ParseDatafileInput, "path" | "text"> = {}): PipeFile {
  const file = parseOk("p.pipe", text, extra);
  if (file.kind !== "pipe") throw new Error("not a pipe");
  return file;
}

export function connection(text: string, extra: Omit<ParseDatafileInput, "path" | "text"> = {}): ConnectionFile {
  const file = parseOk("c.connection", text, extra);
  if (file.kind !== "connection") throw new Error("not a connection");
  return file;
}

/** `[line, column, message]` of every error, for exact comparison. */
export function errorsOf(path: string, text: string, extra: Omit<ParseDatafileInput, "path" | "text"> = {}): [number, number, string][] {
  const result = parseDatafile({ path, text, ...extra });
  if (result.ok) throw new Error(`expected ${path} to fail`);
  return result.errors.map((e) => [e.line, e.column, e.detail]);
}

/** A minimal valid schema to put engine directives under. */
export const SCHEMA = lines("SCHEMA >", "    `id` String,", "    `ts` DateTime,", "    `v` UInt64,", "    `sign` Int8,", "    `deleted` UInt8");
