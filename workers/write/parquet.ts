/**
 * @module write/parquet
 * Parquet imports, uploaded or from a URL. @clickhouse/client-web cannot send
 * a binary body, so an uploaded file travels inside the query as
 * `format(Parquet, '<structure>', base64Decode('…'))`; a URL is read by
 * ClickHouse itself with `url(…, 'Parquet', '<structure>')`. The structure is
 * the datasource's columns, so the file's columns are matched by name (or by
 * a top-level JSONPath `$.field`), in any order, and converted by ClickHouse's
 * Parquet reader.
 *
 * The file first lands in a plain MergeTree stage table shaped like the
 * datasource: a file ClickHouse refuses (a value that does not convert) leaves
 * nothing behind, the stage's count() is exactly the file's rows, and one
 * `INSERT … SELECT *` with the import's deduplication token moves them on.
 * Columns the file lacks get their DEFAULT, or NULL when Nullable; a missing
 * column that has neither is refused before anything is written.
 */
import type { ClickHouseClient } from "@clickhouse/client-web";
import type { ManifestDatasource } from "../../shared/deploy/manifest.js";
import { BadRequestError } from "../../shared/errors.js";
import { quoteIdentifier, quoteQualifiedName, quoteString } from "../../shared/sql/ddl/index.js";
import type { ImportCounts } from "./import-csv.js";

/** Where the Parquet file is: its bytes (already gunzipped), or a URL ClickHouse downloads. */
export type ParquetSource = { bytes: Uint8Array } | { url: string };

const BASE64_CHUNK = 3 * 10_920; // a multiple of 3, so chunks encode without padding in between

/** Standard base64 of `bytes`, in chunks so large files neither overflow the call stack nor build huge intermediate strings. */
export function toBase64(bytes: Uint8Array): string {
  const native = (bytes as Uint8Array & { toBase64?: () => string }).toBase64;
  if (typeof native === "function") return native.call(bytes);
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += BASE64_CHUNK) {
    parts.push(btoa(String.fromCharCode.apply(null, bytes.subarray(i, i + BASE64_CHUNK) as unknown as number[])));
  }
  return parts.join("");
}

/** True when `bytes` start with Parquet's magic `PAR1`. */
export function looksLikeParquet(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[0] === 0x50 && bytes[1] === 0x41 && bytes[2] === 0x52 && bytes[3] === 0x31;
}

// ------------------------------------------------------------ footer reading

/** Thrift compact protocol, only as much as FileMetaData.schema needs. */
class CompactReader {
  pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  private byte(): number {
    if (this.pos >= this.buf.length) throw new Error("truncated Parquet footer");
    return this.buf[this.pos++]!;
  }

  /** An unsigned varint; values past 2^53 lose precision, which only skipped fields can have. */
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    throw new Error("bad varint in Parquet footer");
  }

  zigzag(): number {
    const v = this.varint();
    return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
  }

  binary(): Uint8Array {
    const len = this.varint();
    if (this.pos + len > this.buf.length) throw new Error("truncated Parquet footer");
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  /** Calls `onField(id, type)` for each field of a struct; `onField` reads the value or returns false to have it skipped. */
  struct(onField: (id: number, type: number) => boolean): void {
    let last = 0;
    for (;;) {
      const header = this.byte();
      const type = header & 0x0f;
      if (type === 0) return; // STOP
      const delta = header >> 4;
      const id = delta === 0 ? this.zigzag() : last + delta;
      last = id;
      if (!onField(id, type)) this.skip(type);
    }
  }

  /** A list header: its size and element type. */
  list(): { size: number; type: number } {
    const header = this.byte();
    const short = header >> 4;
    return { size: short === 15 ? this.varint() : short, type: header & 0x0f };
  }

  skip(type: number, depth = 0): void {
    if (depth > 64) throw new Error("Parquet footer nested too deeply");
    switch (type) {
      case 1: // BOOLEAN_TRUE
      case 2: // BOOLEAN_FALSE (a field's value is in its header)
        return;
      case 3: // BYTE
        this.pos++;
        return;
      case 4: // I16
      case 5: // I32
      case 6: // I64
        this.varint();
        return;
      case 7: // DOUBLE
        this.pos += 8;
        return;
      case 8: // BINARY
        this.binary();
        return;
      case 9: // LIST
      case 10: {
        // SET
        const { size, type: elem } = this.list();
        for (let i = 0; i < size; i++) {
          if (elem === 1 || elem === 2) this.pos++; // booleans inside collections take one byte
          else this.skip(elem, depth + 1);
        }
        return;
      }
      case 11: {
        // MAP
        const size = this.varint();
        if (size === 0) return;
        const kv = this.byte();
        for (let i = 0; i < size; i++) {
          for (const t of [kv >> 4, kv & 0x0f]) {
            if (t === 1 || t === 2) this.pos++;
            else this.skip(t, depth + 1);
          }
        }
        return;
      }
      case 12: // STRUCT
        this.struct(() => false);
        return;
      default:
        throw new Error(`unknown Thrift type ${type} in Parquet footer`);
    }
  }
}

/**
 * The top-level column names of a Parquet file, read from its footer
 * (FileMetaData.schema, a depth-first list whose first element is the root).
 * Null when the bytes are not a readable plain Parquet file.
 */
export function parquetColumnNames(bytes: Uint8Array): string[] | null {
  const n = bytes.length;
  if (n < 12 || !looksLikeParquet(bytes)) return null;
  if (bytes[n - 4] !== 0x50 || bytes[n - 3] !== 0x41 || bytes[n - 2] !== 0x52 || bytes[n - 1] !== 0x31) return null; // PAR1 (not PARE: encrypted)
  const len = (bytes[n - 8]! | (bytes[n - 7]! << 8) | (bytes[n - 6]! << 16) | (bytes[n - 5]! << 24)) >>> 0;
  if (len === 0 || len > n - 12) return null;
  try {
    const r = new CompactReader(bytes.subarray(n - 8 - len, n - 8));
    const schema: Array<{ name: string; children: number }> = [];
    let found = false;
    r.struct((id, type) => {
      if (id !== 2 || type !== 9 || found) return false;
      found = true;
      const { size, type: elem } = r.list();
      if (elem !== 12) throw new Error("unexpected Parquet schema element type");
      for (let i = 0; i < size; i++) {
        const element = { name: "", children: 0 };
        r.struct((fid, ftype) => {
          if (fid === 4 && ftype === 8) element.name = new TextDecoder().decode(r.binary());
          else if (fid === 5 && ftype === 5) element.children = r.zigzag();
          else return false;
          return true;
        });
        schema.push(element);
      }
      return true;
    });
    if (!found || schema.length === 0) return null;
    // Walk the tree: the root's children are the columns; skip each one's subtree.
    const end = (index: number): number => {
      let next = index + 1;
      for (let k = 0; k < schema[index]!.children; k++) {
        if (next >= schema.length) throw new Error("Parquet schema tree is inconsistent");
        next = end(next);
      }
      return next;
    };
    const names: string[] = [];
    let index = 1;
    for (let k = 0; k < schema[0]!.children; k++) {
      if (index >= schema.length) return null;
      names.push(schema[index]!.name);
      index = end(index);
    }
    return names;
  } catch {
    return null;
  }
}

// ------------------------------------------------------------ column mapping

type Column = ManifestDatasource["file"]["columns"][number];

/** The top-level field of a `$.field` / `$['field']` JSONPath, or undefined for anything deeper. */
function jsonPathField(path: string | undefined): string | undefined {
  if (!path) return undefined;
  const dot = /^\$\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(path);
  if (dot) return dot[1];
  const bracket = /^\$\[(?:'([^']*)'|"([^"]*)")\]$/.exec(path);
  return bracket ? (bracket[1] ?? bracket[2]) : undefined;
}

export interface ParquetMapping {
  /** Datasource column → the file's column it reads, for every column the file has. */
  read: Array<{ column: Column; from: string }>;
  /** `name Type, …` over the file columns read, each once, for format()/url(). */
  structure: string;
}

/**
 * Which file column feeds each datasource column: the top-level field of its
 * JSONPath when the file has it, else the column's own name. Throws a 400
 * naming the columns the file lacks that have neither a DEFAULT nor Nullable.
 */
export function mapParquetColumns(ds: ManifestDatasource, fileColumns: readonly string[]): ParquetMapping {
  const inFile = new Set(fileColumns);
  const listed = (fileColumns.length > 30 ? [...fileColumns.slice(0, 30), `… (${fileColumns.length} in all)`] : fileColumns).join(", ") || "none";
  const read: ParquetMapping["read"] = [];
  const required: string[] = [];
  for (const column of ds.file.columns) {
    if (column.materialized !== undefined) continue;
    const field = jsonPathField(column.jsonPath);
    const from = field !== undefined && inFile.has(field) ? field : inFile.has(column.name) ? column.name : undefined;
    if (from !== undefined) read.push({ column, from });
    else if (!column.nullable && column.default === undefined) required.push(field !== undefined && field !== column.name ? `'${column.name}' (or '${field}')` : `'${column.name}'`);
  }
  if (required.length > 0) {
    const which = required.length === 1 ? `column ${required[0]}` : `columns ${required.join(", ")}`;
    throw new BadRequestError(
      `The Parquet file has no ${which} of '${ds.name}', which ${required.length === 1 ? "is" : "are"} neither Nullable nor with a DEFAULT. Columns in the file: ${listed}`,
    );
  }
  if (read.length === 0) throw new BadRequestError(`The Parquet file has none of the columns of '${ds.name}'. Columns in the file: ${listed}`);
  const seen = new Map<string, string>();
  for (const { column, from } of read) if (!seen.has(from)) seen.set(from, column.type);
  const structure = [...seen].map(([name, type]) => `${quoteIdentifier(name)} ${type}`).join(", ");
  return { read, structure };
}

/** The table function reading the file with the given structure (or inferring one when omitted). */
export function parquetTableFunction(source: { base64: string } | { url: string }, structure?: string): string {
  const s = structure === undefined ? "" : `, ${quoteString(structure)}`;
  if ("url" in source) return `url(${quoteString(source.url)}, 'Parquet'${s})`;
  return `format(Parquet${s}, base64Decode('${source.base64}'))`;
}

// ------------------------------------------------------------ import

/** Room for the SQL around an inlined file. */
const QUERY_OVERHEAD = 64 * 1024;

/**
 * Imports a Parquet file into `into` (the datasource's table, or replace's
 * scratch table). Returns the file's rows; quarantine is never used: a file
 * ClickHouse cannot read into the schema is refused whole.
 */
export async function importParquet(
  ch: ClickHouseClient,
  database: string,
  ds: ManifestDatasource,
  source: ParquetSource,
  opts: { importId: string; into: string },
): Promise<ImportCounts> {
  const inline: { base64: string } | { url: string } = "bytes" in source ? { base64: toBase64(source.bytes) } : { url: source.url };
  const settings = "base64" in inline ? { max_query_size: String(inline.base64.length + QUERY_OVERHEAD) } : {};

  // The file's columns: from its footer when uploaded, else ClickHouse reads them.
  let fileColumns = "bytes" in source ? parquetColumnNames(source.bytes) : null;
  if (fileColumns === null) {
    const rs = await ch.query({ query: `DESCRIBE ${parquetTableFunction(inline)}`, format: "JSONEachRow", clickhouse_settings: settings });
    fileColumns = ((await rs.json()) as Array<{ name: string }>).map((c) => c.name);
  }
  const mapping = mapParquetColumns(ds, fileColumns);

  const stage = `${ds.table}__parquet_${opts.importId.replace(/[^A-Za-z0-9]/g, "").slice(0, 16)}`;
  const stageQ = quoteQualifiedName(database, stage);
  await ch.command({ query: `CREATE TABLE ${stageQ} AS ${quoteQualifiedName(database, ds.table)} ENGINE = MergeTree ORDER BY tuple()` });
  try {
    await ch.command({
      query: `INSERT INTO ${stageQ} (${mapping.read.map((r) => quoteIdentifier(r.column.name)).join(", ")}) SELECT ${mapping.read.map((r) => quoteIdentifier(r.from)).join(", ")} FROM ${parquetTableFunction(inline, mapping.structure)}`,
      clickhouse_settings: { ...settings, input_format_parquet_allow_missing_columns: 0 },
    });
    const rs = await ch.query({ query: `SELECT count() AS c FROM ${stageQ}`, format: "JSONEachRow" });
    const rows = Number(((await rs.json()) as Array<{ c: string | number }>)[0]?.c ?? 0);
    await ch.command({
      query: `INSERT INTO ${quoteQualifiedName(database, opts.into)} SELECT * FROM ${stageQ}`,
      clickhouse_settings: { insert_deduplication_token: opts.importId },
    });
    return { rows, quarantined: 0 };
  } finally {
    await ch.command({ query: `DROP TABLE IF EXISTS ${stageQ}` }).catch(() => undefined);
  }
}
