/**
 * @module
 * One run of an S3/GCS import (`IMPORT_*`, docs/connectors.md): ClickHouse lists the
 * bucket glob and reads each file with its own `s3()` table function; this module
 * only decides and records. Each file (path + ETag) is loaded once: the files
 * already loaded or refused are kept in a table of the datasource's
 * (`<table>_import_files`), so a file seen again, also after a restart of
 * ClickHouse or of the caller, is skipped; a file whose content changed (new ETag)
 * is loaded again. Each insert carries `insert_deduplication_token` = path + ETag,
 * and the datasource's table keeps a deduplication window
 * (`non_replicated_deduplication_window`), so a crash between a file's insert and
 * its record, followed by the same file's insert again, does not double its rows.
 * A file that fails (not the declared format, unreadable) is recorded with its
 * error and the run goes on with the next.
 *
 * Why not `S3Queue`: on the local engine it needs a Keeper, and the only one it
 * has keeps its state in memory, so every file would load again after a restart
 * (measured: test/node/connectors/engines.test.ts).
 */
import { QUARANTINE_RESERVED } from "../ingest/quarantine.js";
import { CSV_AS_TEXT_SETTINGS, csvColumnsSql } from "../ingest/csv-columns.js";
import { quoteIdentifier, quoteQualifiedName, quoteString } from "../sql/ddl/quote.js";
import { jsonColumnsSql } from "./json-columns.js";

/** What the run needs from ClickHouse: a read answered as TSV text, and a write answering the rows it wrote. */
export interface ImportExecutor {
  query(sql: string, settings?: Record<string, string>): Promise<string>;
  command(sql: string, settings?: Record<string, string>): Promise<void>;
}

export type ImportFormat = "csv" | "ndjson" | "parquet";

export interface S3ImportSpec {
  database: string;
  /** The datasource's physical table. */
  table: string;
  /** Its columns, in order (the file's structure; NDJSON lines are read by each column's JSONPath, default `$.<name>`). */
  columns: Array<{ name: string; type: string; nullable?: boolean; jsonPath?: string; default?: string }>;
  /** `http(s)://host/bucket/prefix/*.csv` (path-style; globs `*`, `**`, `?`, `{a,b}` allowed). */
  url: string;
  /** Where a listed `_path` (`bucket/key`) is fetched: `<base>/<_path>`. */
  base: string;
  accessKey: string;
  secret: string;
  format: ImportFormat;
  /** CSV with a header line (default true). */
  csvHeader?: boolean;
  /** The record of files seen (default `<table>_import_files`); an import datasource keeps one per datasource name. */
  filesTable?: string;
  /** `IMPORT_FROM_TIMESTAMP`: only files modified at or after it (ISO) are listed. */
  fromTimestamp?: string;
  /**
   * The datasource's quarantine table. With it, an NDJSON file is read line by
   * line and a CSV file as text: the rows that fit land in the table, the
   * others in the quarantine with their reasons (as the Events API and CSV
   * uploads split them); without it, or for Parquet, a file that does not
   * parse is refused whole.
   */
  quarantineTable?: string;
  /** `c__import_id` of the quarantined rows (the run's job id). */
  importId?: string;
}

export interface ImportFileResult {
  path: string;
  etag: string;
  size: number;
  status: "loaded" | "error";
  rows: number;
  /** Lines of the file that went to the quarantine. */
  quarantined: number;
  /** Why the file was refused; or, when some of its lines were quarantined, the first line's reasons. */
  error: string;
  elapsedMs: number;
}

/** What loading one file did. */
export interface LoadedFile {
  rows: number;
  quarantined: number;
  /** The reasons of the first quarantined line ('' when none). */
  firstReason: string;
}

export function importFilesTable(table: string): string {
  return `${table}_import_files`;
}

/** The table of files seen by a datasource's imports (created with the datasource); `filesTable` names it outright. */
export function importFilesTableSql(database: string, table: string, filesTable = importFilesTable(table)): string {
  return `CREATE TABLE IF NOT EXISTS ${quoteQualifiedName(database, filesTable)} (
    path String, etag String, size UInt64, status LowCardinality(String), rows UInt64, error String, at DateTime64(3)
) ENGINE = ReplacingMergeTree(at) ORDER BY (path, etag)`;
}

/** The table setting that lets an import's repeated insert of one file be dropped as a duplicate. */
export function importDedupSettingSql(database: string, table: string): string {
  return `ALTER TABLE ${quoteQualifiedName(database, table)} MODIFY SETTING non_replicated_deduplication_window = 10000`;
}

const CH_FORMAT: Record<ImportFormat, string> = { csv: "CSVWithNames", ndjson: "JSONEachRow", parquet: "Parquet" };

function s3Call(url: string, spec: S3ImportSpec, format: string, structure?: string): string {
  return `s3(${[url, spec.accessKey, spec.secret, format, ...(structure ? [structure] : [])].map(quoteString).join(", ")})`;
}

/** A TabSeparated field as ClickHouse escapes it (`\t`, `\n`, `\\`, `\'`, …), read back. */
function tsvField(s: string): string {
  const ESCAPES: Record<string, string> = { t: "\t", n: "\n", r: "\r", b: "\b", f: "\f", 0: "\0" };
  return s.replace(/\\(.)/g, (_, c: string) => ESCAPES[c] ?? c);
}

/** The files the glob matches now, path order. Throws when the bucket cannot be listed (auth, missing bucket). */
export async function listImportFiles(exec: ImportExecutor, spec: S3ImportSpec): Promise<Array<{ path: string; etag: string; size: number }>> {
  const since = spec.fromTimestamp ? ` WHERE _time >= parseDateTime64BestEffort(${quoteString(spec.fromTimestamp)}, 3, 'UTC')` : "";
  // A glob that matches nothing yet is an empty run, not an error (a missing bucket still is one).
  const text = await exec.query(`SELECT _path, _etag, _size FROM ${s3Call(spec.url, spec, "One")}${since} ORDER BY _path SETTINGS s3_throw_on_zero_files_match = 0`);
  if (text.trim() === "") return [];
  return text.trimEnd().split("\n").map((line) => {
    const [path, etag, size] = line.split("\t");
    return { path: tsvField(path!), etag: tsvField(etag!), size: Number(size) };
  });
}

const INSERT_SETTINGS = { input_format_allow_errors_num: "0", max_insert_block_size: "100000000", min_insert_block_size_rows: "0", min_insert_block_size_bytes: "0" };

/** Loads one file into the datasource (deduplicated by path + ETag) and answers the rows it held. */
export async function loadImportFile(exec: ImportExecutor, spec: S3ImportSpec, file: { path: string; etag: string }): Promise<LoadedFile> {
  if (/[*?{}]/.test(file.path)) throw new Error(`the key ${file.path} holds a glob character (* ? { }), which ClickHouse's s3() would expand`);
  const url = `${spec.base.replace(/\/+$/, "")}/${file.path.split("/").map(encodeURIComponent).join("/")}`;
  if (spec.format === "ndjson" && spec.quarantineTable) return loadNdjsonLines(exec, spec, file, url);
  if (spec.format === "csv" && spec.quarantineTable) return loadCsvRows(exec, spec, file, url);
  const structure = spec.columns.map((c) => `${quoteIdentifier(c.name)} ${c.type}`).join(", ");
  const format = spec.format === "csv" && spec.csvHeader === false ? "CSV" : CH_FORMAT[spec.format];
  const names = spec.columns.map((c) => quoteIdentifier(c.name)).join(", ");
  const source = s3Call(url, spec, format, structure);
  // The whole file is parsed once before anything is written: a file that is not the
  // declared format fails here, with nothing inserted, and the count is the rows it holds.
  const rows = Number((await exec.query(`SELECT count() FROM (SELECT ${names} FROM ${source})`)).trim());
  await exec.command(
    `INSERT INTO ${quoteQualifiedName(spec.database, spec.table)} (${names}) SELECT ${names} FROM ${source}`,
    { insert_deduplication_token: `${file.path}@${file.etag}`, ...INSERT_SETTINGS },
  );
  return { rows, quarantined: 0, firstReason: "" };
}

/**
 * An NDJSON file line by line (`LineAsString`; blank lines skipped): each
 * column by its JSONPath (json-columns.ts), the lines that fit into the table,
 * the others into the quarantine with their reasons, each insert in one block
 * with its own deduplication token, so a repeat after a crash writes neither
 * twice. The counts are taken first, from the whole file.
 */
async function loadNdjsonLines(exec: ImportExecutor, spec: S3ImportSpec, file: { path: string; etag: string }, url: string): Promise<LoadedFile> {
  const json = jsonColumnsSql(spec.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable ?? /^(LowCardinality\()?Nullable\(/.test(c.type), ...(c.jsonPath ? { jsonPath: c.jsonPath } : {}) })));
  // (A value present in the file is used as it is; only a missing one takes the column's DEFAULT, below.)
  const lines = `(SELECT value FROM ${s3Call(url, spec, "LineAsString", "value String")} WHERE trimBoth(value) != '')`;
  const fits = `${json.isObject} AND NOT (${json.anyBad})`;
  const counts = (await exec.query(`SELECT countIf(${fits}), countIf(NOT (${fits})), anyIf(${json.errorText}, NOT (${fits})) FROM ${lines}`)).trimEnd().split("\t");
  const rows = Number(counts[0]);
  const quarantined = Number(counts[1]);
  const names = spec.columns.map((c) => quoteIdentifier(c.name)).join(", ");
  if (rows > 0) {
    // A missing value takes the column's DEFAULT, which may name other columns: the values are read
    // first under neutral names, then each column is its value or its DEFAULT over the others' names.
    const inner = spec.columns.map((c, i) => `${json.exprs[i]} AS __v${i}${c.default !== undefined ? `, ${json.present[i]} AS __p${i}` : ""}`);
    const outer = spec.columns.map((c, i) => `${c.default !== undefined ? `if(__p${i}, __v${i}, ${c.default})` : `__v${i}`} AS ${quoteIdentifier(c.name)}`);
    await exec.command(
      `INSERT INTO ${quoteQualifiedName(spec.database, spec.table)} (${names}) SELECT ${outer.join(", ")} FROM (SELECT ${inner.join(", ")} FROM ${lines} WHERE ${fits})`,
      { insert_deduplication_token: `${file.path}@${file.etag}`, ...INSERT_SETTINGS },
    );
  }
  if (quarantined > 0) {
    const rawNames = spec.columns.filter((c) => !QUARANTINE_RESERVED.has(c.name)).map((c) => quoteIdentifier(c.name));
    await exec.command(
      `INSERT INTO ${quoteQualifiedName(spec.database, spec.quarantineTable!)} (c__error_column, c__error, c__import_id${rawNames.map((n) => `, ${n}`).join("")}) ` +
        `SELECT ${[...json.errors, `${quoteString(spec.importId ?? "")} AS c__import_id`, ...json.raw].join(", ")} FROM ${lines} WHERE NOT (${fits})`,
      { insert_deduplication_token: `${file.path}@${file.etag}#quarantine`, ...INSERT_SETTINGS },
    );
  }
  return { rows, quarantined, firstReason: quarantined > 0 ? tsvField(counts[2] ?? "") : "" };
}

/**
 * A CSV file read as text (every column `Nullable(String)`, the header naming
 * them), each value cast to its column's type (shared/ingest/csv-columns.ts):
 * the rows whose every value casts into the table, the others into the
 * quarantine, each insert deduplicated as the NDJSON lines are.
 */
async function loadCsvRows(exec: ImportExecutor, spec: S3ImportSpec, file: { path: string; etag: string }, url: string): Promise<LoadedFile> {
  const csv = csvColumnsSql(spec.columns.map((c) => ({
    name: c.name, type: c.type, nullable: c.nullable ?? /^(LowCardinality\()?Nullable\(/.test(c.type), ...(c.default !== undefined ? { default: c.default } : {}),
  })));
  const structure = spec.columns.map((c) => `${quoteIdentifier(c.name)} Nullable(String)`).join(", ");
  const source = s3Call(url, spec, spec.csvHeader === false ? "CSV" : "CSVWithNames", structure);
  const names = spec.columns.map((c) => quoteIdentifier(c.name));
  const counts = (await exec.query(
    `SELECT countIf(NOT (${csv.anyFailed})), countIf(${csv.anyFailed}), anyIf(arrayStringConcat(${csv.errorMessages}, '; '), ${csv.anyFailed}) FROM ${source}`,
    CSV_AS_TEXT_SETTINGS,
  )).trimEnd().split("\t");
  const rows = Number(counts[0]);
  const quarantined = Number(counts[1]);
  if (rows > 0) {
    await exec.command(
      `INSERT INTO ${quoteQualifiedName(spec.database, spec.table)} (${names.join(", ")}) SELECT ${csv.values.join(", ")} FROM ${source} WHERE NOT (${csv.anyFailed})`,
      { insert_deduplication_token: `${file.path}@${file.etag}`, ...INSERT_SETTINGS, ...CSV_AS_TEXT_SETTINGS },
    );
  }
  if (quarantined > 0) {
    const kept = spec.columns.filter((c) => !QUARANTINE_RESERVED.has(c.name)).map((c) => quoteIdentifier(c.name));
    await exec.command(
      `INSERT INTO ${quoteQualifiedName(spec.database, spec.quarantineTable!)} (c__error_column, c__error, c__import_id${kept.map((n) => `, ${n}`).join("")}) ` +
        `SELECT ${csv.errorColumns}, ${csv.errorMessages}, ${quoteString(spec.importId ?? "")}${kept.map((n) => `, ${n}`).join("")} FROM ${source} WHERE ${csv.anyFailed}`,
      { insert_deduplication_token: `${file.path}@${file.etag}#quarantine`, ...INSERT_SETTINGS, ...CSV_AS_TEXT_SETTINGS },
    );
  }
  return { rows, quarantined, firstReason: quarantined > 0 ? tsvField(counts[2] ?? "") : "" };
}

/**
 * One run: every listed file not loaded or refused before is loaded (or refused) and recorded.
 * `onFile` hears each file once it is recorded, so a run stopped halfway (cancelled, ClickHouse
 * gone) has still reported the files it finished.
 */
export async function runS3Import(
  exec: ImportExecutor, spec: S3ImportSpec, now: () => number = Date.now, onFile: (result: ImportFileResult) => void = () => undefined,
): Promise<ImportFileResult[]> {
  const files = await listImportFiles(exec, spec);
  const filesTable = spec.filesTable ?? importFilesTable(spec.table);
  const seenText = await exec.query(`SELECT path, etag FROM ${quoteQualifiedName(spec.database, filesTable)} FINAL`);
  const seen = new Set(seenText.trim() === "" ? [] : seenText.trimEnd().split("\n").map((l) => l.split("\t").map(tsvField).join("\u0000")));
  const results: ImportFileResult[] = [];
  for (const f of files) {
    if (seen.has(`${f.path}\u0000${f.etag}`)) continue;
    const started = now();
    let loaded: LoadedFile = { rows: 0, quarantined: 0, firstReason: "" };
    let refused = "";
    try {
      loaded = await loadImportFile(exec, spec, f);
    } catch (e) {
      refused = e instanceof Error ? e.message : String(e);
    }
    const { rows, quarantined } = loaded;
    const error = refused || loaded.firstReason;
    const result: ImportFileResult = { ...f, status: refused ? "error" : "loaded", rows, quarantined, error, elapsedMs: now() - started };
    await exec.command(
      `INSERT INTO ${quoteQualifiedName(spec.database, filesTable)} (path, etag, size, status, rows, error, at) VALUES (${[
        quoteString(f.path), quoteString(f.etag), String(f.size), quoteString(result.status), String(rows), quoteString(error), `fromUnixTimestamp64Milli(${now()})`,
      ].join(", ")})`,
    );
    results.push(result);
    onFile(result);
  }
  return results;
}
