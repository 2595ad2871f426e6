/**
 * @module endpoints/schema-tables
 * The `system.*` tables a schema browser reads through the ClickHouse
 * interface, as this workspace and this token see them: `system.databases`
 * (the workspace by its name, `tinybird`, `system`), `system.tables` and
 * `system.columns` (the datasources and pipes the token may read, by their own
 * names; `tinybird.*` with WORKSPACE:READ_ALL), `system.functions` (the
 * functions the read guard allows), `system.settings` (what a read may
 * change, and its limits) and `system.one`. Each is a subquery over
 * literal rows built from the live deployment, so nothing outside the
 * workspace is ever read and a deploy shows at once; the read guard checks it
 * like any other SQL (`values` and `arrayJoin` are on its allowlists).
 */
import type { DeploymentManifest } from "../../shared/deploy/manifest.js";
import type { EngineSpec } from "../../shared/datafiles/ast.js";
import { SERVICE_DATASOURCES } from "../../shared/service/datasources.js";
import { quoteString } from "../../shared/sql/ddl/index.js";
import { ALLOWED_AGGREGATES, ALLOWED_FUNCTIONS, ALLOWED_FUNCTIONS_ANY_CASE } from "../../shared/sql/guard/allowed-functions.js";
import { DENIED_FUNCTIONS } from "../../shared/sql/guard/index.js";
import type { TableResolution } from "../../shared/sql/rewrite/index.js";
import { authorize, type Scope } from "../../shared/tokens/scopes.js";

export interface SchemaView {
  /** The workspace's name: its database as clients see it. */
  database: string;
  manifest: DeploymentManifest | undefined;
  scopes: readonly Scope[];
  /** The read limits `system.settings` shows. */
  limits: { queryTimeoutSeconds: number; maxResultBytes: number };
}

/**
 * `system.settings` as a read through the interface has them: what a driver
 * may change (`readonly = 0`: the output settings, `max_execution_time`
 * downwards) and the limits it may not. Drivers read it at connect
 * (clickhouse-connect) to learn what they may send; `getSetting(name)`
 * answers the same values (`session-functions.ts`).
 */
export function settingsRows(limits: SchemaView["limits"]): Array<[name: string, value: string, type: string, readonly: 0 | 1, description: string]> {
  return [
    ["readonly", "1", "UInt64", 1, "Reads only: set by the token's workspace reader"],
    ["max_execution_time", String(limits.queryTimeoutSeconds), "Seconds", 0, "Query time limit (lower values accepted)"],
    ["max_result_bytes", String(limits.maxResultBytes), "UInt64", 1, "Result size limit"],
    ["result_overflow_mode", "throw", "OverflowMode", 1, "What happens past max_result_bytes"],
    ["output_format_json_quote_64bit_integers", "1", "Bool", 0, "Quote 64-bit integers in JSON formats"],
    ["output_format_json_quote_denormals", "0", "Bool", 0, "Write +nan, -nan, +inf, -inf in JSON formats"],
    ["output_format_json_quote_decimals", "0", "Bool", 0, "Quote decimals in JSON formats"],
    ["output_format_json_named_tuples_as_objects", "1", "Bool", 0, "Named tuples as JSON objects"],
    ["output_format_decimal_trailing_zeros", "0", "Bool", 0, "Trailing zeros of decimals"],
    ["output_format_parquet_string_as_string", "1", "Bool", 0, "Parquet String type for strings"],
    ["output_format_arrow_string_as_string", "1", "Bool", 0, "Arrow String type for strings"],
    ["date_time_output_format", "simple", "DateTimeOutputFormat", 0, "How DateTime values are written"],
  ];
}

const SETTINGS_STRUCTURE = "name String, value String, changed UInt8, description String, min Nullable(String), max Nullable(String), readonly UInt8, type String, default String, alias_for String, is_obsolete UInt8";

function settingsSql(view: SchemaView): string {
  const rows = settingsRows(view.limits).map(([name, value, type, readonly, description]) =>
    `(${q(name)}, ${q(value)}, ${name === "readonly" || name.startsWith("max_") || name === "result_overflow_mode" || name === "output_format_json_quote_64bit_integers" ? 1 : 0}, ${q(description)}, NULL, NULL, ${readonly}, ${q(type)}, ${q(value)}, '', 0)`,
  );
  return literalTable(SETTINGS_STRUCTURE, rows, "");
}

interface Table {
  database: string;
  name: string;
  engine: string;
  sortingKey: string;
  partitionKey: string;
  primaryKey: string;
  samplingKey: string;
  columns: Array<{ name: string; type: string; defaultKind: string; defaultExpression: string; codec: string; comment: string }>;
  comment: string;
}

const TABLE_STRUCTURE = [
  "database String", "name String", "uuid UUID", "engine String", "is_temporary UInt8", "data_paths Array(String)",
  "metadata_path String", "metadata_modification_time DateTime", "dependencies_database Array(String)",
  "dependencies_table Array(String)", "create_table_query String", "engine_full String", "as_select String",
  "partition_key String", "sorting_key String", "primary_key String", "sampling_key String", "storage_policy String",
  "total_rows Nullable(UInt64)", "total_bytes Nullable(UInt64)", "has_own_data UInt8", "comment String",
].join(", ");

const COLUMN_STRUCTURE = [
  "database String", "table String", "name String", "type String", "position UInt64", "default_kind String",
  "default_expression String", "data_compressed_bytes UInt64", "data_uncompressed_bytes UInt64", "marks_bytes UInt64",
  "comment String", "is_in_partition_key UInt8", "is_in_sorting_key UInt8", "is_in_primary_key UInt8",
  "is_in_sampling_key UInt8", "compression_codec String", "character_octet_length Nullable(UInt64)",
  "numeric_precision Nullable(UInt64)", "numeric_precision_radix Nullable(UInt64)", "numeric_scale Nullable(UInt64)",
  "datetime_precision Nullable(UInt64)",
].join(", ");

const DATABASE_STRUCTURE = "name String, engine String, data_path String, metadata_path String, uuid UUID, engine_full String, comment String";

const q = quoteString;
const ZERO_UUID = "'00000000-0000-0000-0000-000000000000'";

function engineName(engine: EngineSpec): string {
  return engine.type;
}

function key(engine: EngineSpec, field: "sortingKey" | "partitionKey" | "primaryKey" | "samplingKey"): string {
  return field in engine ? ((engine as Record<string, string | undefined>)[field] ?? "") : "";
}

/** The tables this token may read, by the names it reads them with. */
function visibleTables(view: SchemaView): Table[] {
  const out: Table[] = [];
  const m = view.manifest;
  for (const [name, ds] of Object.entries(m?.datasources ?? {})) {
    if (!authorize(view.scopes, { kind: "read_datasource", datasource: name }).allowed) continue;
    const e = ds.file.engine;
    const columns = ds.file.columns.map((c) => ({
      name: c.name,
      type: c.type,
      defaultKind: c.default !== undefined ? "DEFAULT" : c.materialized !== undefined ? "MATERIALIZED" : "",
      defaultExpression: c.default ?? c.materialized ?? "",
      codec: c.codec ? `CODEC(${c.codec})` : "",
      comment: "",
    }));
    const base = { database: view.database, engine: engineName(e), sortingKey: key(e, "sortingKey"), partitionKey: key(e, "partitionKey"), primaryKey: key(e, "primaryKey") || key(e, "sortingKey"), samplingKey: key(e, "samplingKey"), comment: ds.file.description ?? "" };
    out.push({ ...base, name, columns });
    // Quarantine tables are readable with their datasource's READ scope; their schema is not in the manifest.
  }
  for (const [name, pipe] of Object.entries(m?.pipes ?? {})) {
    if (!authorize(view.scopes, { kind: "read_pipe", pipe: name }).allowed) continue;
    out.push({ database: view.database, name, engine: "View", sortingKey: "", partitionKey: "", primaryKey: "", samplingKey: "", columns: [], comment: pipe.file.description ?? "" });
  }
  if (authorize(view.scopes, { kind: "read_all" }).allowed) {
    for (const ds of SERVICE_DATASOURCES) {
      out.push({
        database: "tinybird", name: ds.name, engine: ds.engine.split(" ")[0]!, sortingKey: "", partitionKey: "", primaryKey: "", samplingKey: "", comment: "",
        columns: ds.columns.map(([name, type]) => ({ name, type, defaultKind: "", defaultExpression: "", codec: "", comment: "" })),
      });
    }
  }
  return out;
}

/** `SELECT * FROM values('structure', rows…)`, or no rows of that structure. */
function literalTable(structure: string, rows: string[], empty: string): string {
  if (rows.length === 0) return `SELECT * FROM values(${q(structure)}, ${empty}) WHERE 0`;
  return `SELECT * FROM values(${q(structure)}, ${rows.join(", ")})`;
}

function databasesSql(view: SchemaView): string {
  const names = [view.database, ...(authorize(view.scopes, { kind: "read_all" }).allowed ? ["tinybird"] : []), "system"];
  const rows = names.map((n) => `(${q(n)}, ${q(n === "system" ? "Memory" : "Atomic")}, '', '', ${ZERO_UUID}, ${q(n === "system" ? "Memory" : "Atomic")}, '')`);
  return literalTable(DATABASE_STRUCTURE, rows, "");
}

function tablesSql(view: SchemaView): string {
  const rows = visibleTables(view).map((t) =>
    `(${q(t.database)}, ${q(t.name)}, ${ZERO_UUID}, ${q(t.engine)}, 0, [], '', toDateTime(0), [], [], '', ${q(t.engine)}, '', ` +
    `${q(t.partitionKey)}, ${q(t.sortingKey)}, ${q(t.primaryKey)}, ${q(t.samplingKey)}, '', NULL, NULL, ${t.engine === "View" ? 0 : 1}, ${q(t.comment)})`,
  );
  return literalTable(TABLE_STRUCTURE, rows, `('', '', ${ZERO_UUID}, '', 0, [], '', toDateTime(0), [], [], '', '', '', '', '', '', '', '', NULL, NULL, 0, '')`);
}

function columnsSql(view: SchemaView): string {
  const rows: string[] = [];
  for (const t of visibleTables(view)) {
    const inKey = (keyText: string, name: string) => (new RegExp(`(^|[^A-Za-z0-9_])${name.replace(/[^A-Za-z0-9_]/g, "\\$&")}($|[^A-Za-z0-9_])`).test(keyText) ? 1 : 0);
    t.columns.forEach((c, i) => {
      rows.push(
        `(${q(t.database)}, ${q(t.name)}, ${q(c.name)}, ${q(c.type)}, ${i + 1}, ${q(c.defaultKind)}, ${q(c.defaultExpression)}, 0, 0, 0, ${q(c.comment)}, ` +
        `${inKey(t.partitionKey, c.name)}, ${inKey(t.sortingKey, c.name)}, ${inKey(t.primaryKey, c.name)}, ${inKey(t.samplingKey, c.name)}, ${q(c.codec)}, NULL, NULL, NULL, NULL, NULL)`,
      );
    });
  }
  return literalTable(COLUMN_STRUCTURE, rows, "('', '', '', '', 0, '', '', 0, 0, 0, '', 0, 0, 0, 0, '', NULL, NULL, NULL, NULL, NULL)");
}

let functionsText: string | undefined;
function functionsSql(): string {
  if (functionsText) return functionsText;
  const names = [...new Set([...ALLOWED_FUNCTIONS, ...ALLOWED_FUNCTIONS_ANY_CASE, ...ALLOWED_AGGREGATES])].filter((n) => !DENIED_FUNCTIONS.has(n)).sort();
  const aggregates = [...ALLOWED_AGGREGATES].sort();
  functionsText =
    `SELECT name, toUInt8(has([${aggregates.map(q).join(", ")}], name)) AS is_aggregate, ` +
    `toUInt8(has([${[...ALLOWED_FUNCTIONS_ANY_CASE].sort().map(q).join(", ")}], name)) AS case_insensitive, '' AS alias_to, ` +
    `'System' AS origin, '' AS description, '' AS syntax, '' AS arguments, '' AS returned_value, '' AS examples, '' AS categories ` +
    `FROM (SELECT arrayJoin([${names.map(q).join(", ")}]) AS name)`;
  return functionsText;
}

/** `system.<name>` for this workspace and token: a subquery, or an error naming what is served. */
export function systemTable(view: SchemaView, name: string): TableResolution {
  switch (name) {
    case "databases":
      return { subquery: databasesSql(view) };
    case "tables":
      return { subquery: tablesSql(view) };
    case "columns":
      return { subquery: columnsSql(view) };
    case "functions":
      return { subquery: functionsSql() };
    case "settings":
      return { subquery: settingsSql(view) };
    case "one":
      return { subquery: "SELECT toUInt8(0) AS dummy" };
    default:
      return { error: `Table system.${name} is not available: the ClickHouse interface serves system.databases, system.tables, system.columns, system.functions, system.settings and system.one` };
  }
}
