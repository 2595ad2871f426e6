/**
 * @module
 * `.datasource` files: statements to a `DatasourceFile`, with the CLI's
 * validation of engines, keys and connector directives.
 */
import { isCron } from "../cron/cron.js";
import type {
  ColumnDefinition, DatasourceFile, EngineSpec, EngineType, ImportDatasourceSettings,
  IndexDefinition, KafkaDatasourceSettings, MergeTreeOptions, TokenGrant,
} from "./ast.js";
import {
  OnceTracker, parseBooleanValue, parseTags, parseToken, positionOf, rawValue, requireValue,
  substitutedValue, unknownKeywordMessage, valuePosition, type DirectiveContext,
} from "./directives.js";
import { checkDatasourceDdlValues, type DdlValuePositions } from "./ddl-values.js";
import type { SourcePosition } from "./errors.js";
import { parseIndexes } from "./indexes.js";
import type { Statement } from "./lexer.js";
import { parseSchema, splitTopLevel } from "./schema.js";

const ENGINE_OPTION_KEYWORDS = [
  "ENGINE_SORTING_KEY", "ENGINE_PARTITION_KEY", "ENGINE_PRIMARY_KEY", "ENGINE_SAMPLING_KEY", "ENGINE_TTL", "ENGINE_SETTINGS",
  "ENGINE_VER", "ENGINE_IS_DELETED", "ENGINE_SIGN", "ENGINE_VERSION", "ENGINE_COLUMNS", "ENGINE_SUMMING_COLUMNS",
  "ENGINE_JOIN_STRICTNESS", "ENGINE_JOIN_TYPE", "ENGINE_KEY_COLUMNS",
] as const;
type EngineOptionKeyword = (typeof ENGINE_OPTION_KEYWORDS)[number];

const KAFKA_KEYWORDS = [
  "KAFKA_CONNECTION_NAME", "KAFKA_TOPIC", "KAFKA_GROUP_ID", "KAFKA_AUTO_OFFSET_RESET", "KAFKA_STORE_RAW_VALUE",
  "KAFKA_STORE_HEADERS", "KAFKA_KEY_FORMAT", "KAFKA_VALUE_FORMAT",
] as const;
const IMPORT_KEYWORDS = [
  "IMPORT_CONNECTION_NAME", "IMPORT_BUCKET_URI", "IMPORT_SCHEDULE", "IMPORT_FROM_TIMESTAMP", "IMPORT_QUERY",
  "IMPORT_TABLE_ARN", "IMPORT_EXPORT_BUCKET",
] as const;

/** Accepted but only warned about (deprecated in Forward). */
const DEPRECATED_WARNINGS: Record<string, string> = {
  VERSION: "VERSION is deprecated and ignored",
  KAFKA_TARGET_PARTITIONS: "KAFKA_TARGET_PARTITIONS is deprecated and ignored",
  IMPORT_SERVICE: "IMPORT_SERVICE is deprecated and ignored; the connection decides the service",
  IMPORT_EXTERNAL_DATASOURCE: "IMPORT_EXTERNAL_DATASOURCE is deprecated and ignored",
  EXPORT_SERVICE: "EXPORT_SERVICE is deprecated and ignored",
};

/** Known but refused, with what to do instead. */
const REFUSED: Record<string, string> = {
  SETTINGS: "SETTINGS is not allowed in datasource files; use ENGINE_SETTINGS",
  SOURCE: "SOURCE is deprecated and no longer supported",
  KAFKA_STORE_BINARY_HEADERS: "KAFKA_STORE_BINARY_HEADERS is deprecated and no longer supported; use KAFKA_STORE_HEADERS",
  KAFKA_KEY_AVRO_DESERIALIZATION: "KAFKA_KEY_AVRO_DESERIALIZATION is deprecated and no longer supported; use KAFKA_KEY_FORMAT avro",
  IMPORT_STRATEGY: "IMPORT_STRATEGY is deprecated and no longer supported",
};

export const DATASOURCE_KEYWORDS: ReadonlySet<string> = new Set([
  "DESCRIPTION", "TOKEN", "SCHEMA", "INDEXES", "ENGINE", ...ENGINE_OPTION_KEYWORDS, "FORWARD_QUERY", "BACKFILL",
  "SHARED_WITH", "TAGS", ...KAFKA_KEYWORDS, ...IMPORT_KEYWORDS, ...Object.keys(DEPRECATED_WARNINGS), ...Object.keys(REFUSED), "INCLUDE",
]);

const ENGINE_NAMES: readonly EngineType[] = [
  "MergeTree", "ReplacingMergeTree", "SummingMergeTree", "AggregatingMergeTree", "CollapsingMergeTree",
  "VersionedCollapsingMergeTree", "Null", "Join",
];

const MERGE_TREE_OPTIONS: readonly EngineOptionKeyword[] = [
  "ENGINE_SORTING_KEY", "ENGINE_PARTITION_KEY", "ENGINE_PRIMARY_KEY", "ENGINE_SAMPLING_KEY", "ENGINE_TTL", "ENGINE_SETTINGS",
];

const ENGINE_ACCEPTS: Record<EngineType, readonly EngineOptionKeyword[]> = {
  MergeTree: MERGE_TREE_OPTIONS,
  ReplacingMergeTree: [...MERGE_TREE_OPTIONS, "ENGINE_VER", "ENGINE_IS_DELETED"],
  SummingMergeTree: [...MERGE_TREE_OPTIONS, "ENGINE_COLUMNS", "ENGINE_SUMMING_COLUMNS"],
  AggregatingMergeTree: MERGE_TREE_OPTIONS,
  CollapsingMergeTree: [...MERGE_TREE_OPTIONS, "ENGINE_SIGN"],
  VersionedCollapsingMergeTree: [...MERGE_TREE_OPTIONS, "ENGINE_SIGN", "ENGINE_VERSION"],
  Null: [],
  Join: ["ENGINE_JOIN_STRICTNESS", "ENGINE_JOIN_TYPE", "ENGINE_KEY_COLUMNS"],
};

/** Engines whose ORDER BY must be given (the CLI's engine table). */
const SORTING_KEY_REQUIRED: ReadonlySet<EngineType> = new Set(["ReplacingMergeTree", "AggregatingMergeTree", "CollapsingMergeTree"]);

interface EngineOptionValue { value: string; statement: Statement }

export function parseDatasourceStatements(name: string, statements: Statement[], context: DirectiveContext): DatasourceFile {
  const { diagnostics } = context;
  const once = new OnceTracker(diagnostics);
  const tokens: TokenGrant[] = [];
  const tags: string[] = [];
  const sharedWith: string[] = [];
  let description: string | undefined;
  let columns: ColumnDefinition[] | undefined;
  let indexes: IndexDefinition[] = [];
  let engineStatement: Statement | undefined;
  let engineName: string | undefined;
  const engineOptions = new Map<EngineOptionKeyword, EngineOptionValue>();
  const kafka = new Map<string, { value: string; statement: Statement }>();
  const imports = new Map<string, { value: string; statement: Statement }>();
  let forwardQuery: string | undefined;
  let backfill: "skip" | undefined;
  let version: number | undefined;
  const positions: DdlValuePositions = { columns: new Map(), indexes: new Map(), directives: {} };
  let schemaClean = false;

  for (const st of statements) {
    const kw = st.keyword;
    if (!DATASOURCE_KEYWORDS.has(kw)) {
      diagnostics.error(positionOf(st), unknownKeywordMessage(kw, "datasource", DATASOURCE_KEYWORDS));
      continue;
    }
    const refused = REFUSED[kw];
    if (refused) { diagnostics.error(positionOf(st), refused); continue; }
    const deprecated = DEPRECATED_WARNINGS[kw];
    if (deprecated) {
      diagnostics.warn(positionOf(st), deprecated);
      if (kw === "VERSION") {
        const n = Number(st.value);
        if (Number.isInteger(n) && n >= 0) version = n;
        else diagnostics.error(valuePosition(st), "VERSION must be a non-negative integer, e.g. VERSION 1");
      }
      continue;
    }
    switch (kw) {
      case "DESCRIPTION": once.note(st); description = substitutedValue(st, context); break;
      case "TOKEN": { const t = parseToken(st, ["READ", "APPEND"], context); if (t) tokens.push(t); break; }
      case "TAGS": tags.push(...parseTags(substitutedValue(st, context))); break;
      case "SCHEMA": {
        once.note(st);
        if (!st.block) { diagnostics.error(positionOf(st), "SCHEMA must be a block: `SCHEMA >` followed by indented column lines"); break; }
        if (st.block.every((l) => l.text.trim() === "")) {
          diagnostics.error(positionOf(st), "SCHEMA has no columns; expected indented `name Type` lines after `SCHEMA >`");
          columns = [];
          break;
        }
        const before = diagnostics.errors.length;
        positions.columns.clear();
        columns = parseSchema(st.block, diagnostics, positions.columns);
        schemaClean = diagnostics.errors.length === before;
        break;
      }
      case "INDEXES": {
        once.note(st);
        const lines = st.block ? st.block : [{ text: st.value, file: st.file, line: st.line }];
        positions.indexes.clear();
        indexes = parseIndexes(lines, diagnostics, positions.indexes);
        break;
      }
      case "ENGINE": once.note(st); engineStatement = st; engineName = requireValue(st, context, "ENGINE MergeTree"); positions.directives.ENGINE = valuePosition(st); break;
      case "FORWARD_QUERY": once.note(st); forwardQuery = rawValue(st).trim() || undefined; positions.directives.FORWARD_QUERY = valuePosition(st); break;
      case "BACKFILL": {
        const v = substitutedValue(st, context).trim().toLowerCase();
        if (v === "skip") backfill = "skip";
        else diagnostics.error(valuePosition(st), `invalid BACKFILL value \`${st.value}\`; expected skip`);
        break;
      }
      case "SHARED_WITH": {
        const entries = substitutedValue(st, context).split(/[,\n]/).map((w) => w.trim()).filter((w) => w !== "");
        if (entries.length === 0) diagnostics.error(positionOf(st), "SHARED_WITH needs at least one workspace name");
        sharedWith.push(...entries);
        break;
      }
      default: {
        if ((ENGINE_OPTION_KEYWORDS as readonly string[]).includes(kw)) {
          once.note(st);
          // The TS SDK can write an empty `ENGINE_SORTING_KEY ""`; empty means "not set".
          const value = substitutedValue(st, context).trim();
          if (value !== "") {
            engineOptions.set(kw as EngineOptionKeyword, { value, statement: st });
            positions.directives[kw] = valuePosition(st);
          } else {
            delete positions.directives[kw];
          }
        } else if ((KAFKA_KEYWORDS as readonly string[]).includes(kw)) {
          once.note(st);
          const value = requireValue(st, context, `${kw} <value>`);
          if (value !== undefined) kafka.set(kw, { value, statement: st });
        } else if ((IMPORT_KEYWORDS as readonly string[]).includes(kw)) {
          once.note(st);
          const value = requireValue(st, context, `${kw} <value>`);
          if (value !== undefined) imports.set(kw, { value, statement: st });
        }
      }
    }
  }

  const fileStart: SourcePosition = { file: context.path, line: 1, column: 1 };
  if (columns === undefined) diagnostics.error(fileStart, "missing SCHEMA; a datasource needs a `SCHEMA >` block with its columns");
  const cols = columns ?? [];
  const engine = buildEngine(engineName, engineStatement, engineOptions, cols, context);
  const file: DatasourceFile = {
    kind: "datasource", name, path: context.path, tags, secrets: context.secrets, warnings: diagnostics.warnings,
    tokens, columns: cols, indexes, engine, sharedWith,
  };
  if (description !== undefined && description !== "") file.description = description;
  if (forwardQuery !== undefined) file.forwardQuery = forwardQuery;
  if (backfill) file.backfill = backfill;
  if (version !== undefined) file.version = version;
  const kafkaSettings = buildKafka(kafka, context);
  const importSettings = buildImport(imports, context);
  if (kafkaSettings && importSettings) {
    diagnostics.error(positionOf(imports.values().next().value!.statement), "a datasource can use either KAFKA_* or IMPORT_* directives, not both");
  }
  if (kafkaSettings) file.kafka = kafkaSettings;
  if (importSettings) file.import = importSettings;
  checkDatasourceDdlValues(file, positions, columns !== undefined && schemaClean, diagnostics);
  file.valuePositions = positions.directives;
  return file;
}

function stripBackticks(identifier: string): string {
  const t = identifier.trim();
  return t.startsWith("`") && t.endsWith("`") && t.length >= 2 ? t.slice(1, -1) : t;
}

/** Splits a key list, dropping one pair of wrapping parentheses: `(a, b)` → [a, b]. */
export function keyParts(expr: string): string[] {
  let text = expr.trim();
  if (text.startsWith("(") && matchingParen(text) === text.length - 1) text = text.slice(1, -1);
  return splitTopLevel(text).map((p) => text.slice(p.start, p.end).trim()).filter((p) => p !== "");
}

function matchingParen(text: string): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) { if (c === quote) quote = null; continue; }
    if (c === "'" || c === '"' || c === "`") quote = c;
    else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i;
  }
  return -1;
}

function buildEngine(
  rawName: string | undefined, statement: Statement | undefined, options: Map<EngineOptionKeyword, EngineOptionValue>,
  columns: ColumnDefinition[], context: DirectiveContext,
): EngineSpec {
  const { diagnostics } = context;
  let type: EngineType = "MergeTree";
  if (rawName !== undefined) {
    const found = ENGINE_NAMES.find((n) => n.toLowerCase() === rawName.toLowerCase());
    if (found) type = found;
    else if (statement) {
      diagnostics.error(valuePosition(statement), `engine \`${rawName}\` is not supported; expected one of ${ENGINE_NAMES.join(", ")}`);
    }
  }
  const accepted = ENGINE_ACCEPTS[type];
  for (const [kw, option] of options) {
    if (!accepted.includes(kw)) diagnostics.warn(positionOf(option.statement), `${kw} does not apply to the ${type} engine and is ignored`);
  }
  const columnNames = new Map(columns.map((c) => [c.name, c]));
  const get = (kw: EngineOptionKeyword) => (accepted.includes(kw) ? options.get(kw) : undefined);
  const columnRef = (kw: EngineOptionKeyword, required: boolean): string | undefined => {
    const option = get(kw);
    if (!option) {
      if (required) diagnostics.error(statement ? positionOf(statement) : { file: context.path, line: 1, column: 1 }, `the ${type} engine needs ${kw} <column>`);
      return undefined;
    }
    const name = stripBackticks(option.value);
    if (columns.length > 0 && !columnNames.has(name)) {
      diagnostics.error(valuePosition(option.statement), `${kw} column \`${name}\` is not in the SCHEMA`);
    }
    return name;
  };
  const columnList = (option: EngineOptionValue | undefined): string[] | undefined => {
    if (!option) return undefined;
    const names = keyParts(option.value).map(stripBackticks);
    for (const n of names) {
      if (columns.length > 0 && !columnNames.has(n)) diagnostics.error(valuePosition(option.statement), `${option.statement.keyword} column \`${n}\` is not in the SCHEMA`);
    }
    return names;
  };

  if (type === "Null") return { type };
  if (type === "Join") {
    const strictness = get("ENGINE_JOIN_STRICTNESS")?.value.toUpperCase();
    const joinType = get("ENGINE_JOIN_TYPE")?.value.toUpperCase();
    const keyColumns = columnList(get("ENGINE_KEY_COLUMNS"));
    const at = statement ? positionOf(statement) : { file: context.path, line: 1, column: 1 };
    if (!strictness || !["ANY", "ALL", "SEMI", "ANTI"].includes(strictness)) diagnostics.error(at, "the Join engine needs ENGINE_JOIN_STRICTNESS ANY, ALL, SEMI or ANTI");
    if (!joinType || !["LEFT", "INNER", "RIGHT", "FULL"].includes(joinType)) diagnostics.error(at, "the Join engine needs ENGINE_JOIN_TYPE LEFT, INNER, RIGHT or FULL");
    if (!keyColumns || keyColumns.length === 0) diagnostics.error(at, "the Join engine needs ENGINE_KEY_COLUMNS <column>[, ...]");
    return {
      type, strictness: (strictness ?? "ANY") as "ANY", joinType: (joinType ?? "LEFT") as "LEFT", keyColumns: keyColumns ?? [],
    };
  }

  const common: MergeTreeOptions = {};
  const sorting = get("ENGINE_SORTING_KEY");
  if (sorting) common.sortingKey = sorting.value;
  for (const [kw, field] of [
    ["ENGINE_PARTITION_KEY", "partitionKey"], ["ENGINE_PRIMARY_KEY", "primaryKey"], ["ENGINE_SAMPLING_KEY", "samplingKey"],
    ["ENGINE_TTL", "ttl"], ["ENGINE_SETTINGS", "settings"],
  ] as const) {
    const option = get(kw);
    if (option) common[field] = option.value;
  }
  validateSortingKey(type, sorting, statement, common, columnNames, context);

  switch (type) {
    case "MergeTree": case "AggregatingMergeTree": return { type, ...common };
    case "ReplacingMergeTree": {
      const spec: EngineSpec = { type, ...common };
      const ver = columnRef("ENGINE_VER", false);
      const isDeleted = columnRef("ENGINE_IS_DELETED", false);
      if (ver !== undefined) {
        spec.ver = ver;
        if (sorting && keyParts(sorting.value).map(stripBackticks).includes(ver)) {
          diagnostics.error(valuePosition(get("ENGINE_VER")!.statement), `ENGINE_VER column \`${ver}\` must not be part of ENGINE_SORTING_KEY`);
        }
      }
      if (isDeleted !== undefined) {
        spec.isDeleted = isDeleted;
        if (ver === undefined) diagnostics.error(valuePosition(get("ENGINE_IS_DELETED")!.statement), "ENGINE_IS_DELETED needs ENGINE_VER as well");
      }
      return spec;
    }
    case "SummingMergeTree": {
      const spec: EngineSpec = { type, ...common };
      const cols = columnList(get("ENGINE_COLUMNS") ?? get("ENGINE_SUMMING_COLUMNS"));
      if (cols && cols.length > 0) spec.columns = cols;
      return spec;
    }
    case "CollapsingMergeTree": return { type, ...common, sign: columnRef("ENGINE_SIGN", true) ?? "" };
    case "VersionedCollapsingMergeTree":
      return { type, ...common, sign: columnRef("ENGINE_SIGN", true) ?? "", version: columnRef("ENGINE_VERSION", true) ?? "" };
  }
}

function validateSortingKey(
  type: EngineType, sorting: EngineOptionValue | undefined, engineStatement: Statement | undefined, common: MergeTreeOptions,
  columns: Map<string, ColumnDefinition>, context: DirectiveContext,
): void {
  const { diagnostics } = context;
  if (!sorting) {
    if (SORTING_KEY_REQUIRED.has(type)) {
      diagnostics.error(engineStatement ? positionOf(engineStatement) : { file: context.path, line: 1, column: 1 }, `the ${type} engine needs ENGINE_SORTING_KEY`);
    }
    return;
  }
  const parts = keyParts(sorting.value);
  if (SORTING_KEY_REQUIRED.has(type) && (parts.length === 0 || sorting.value.replace(/\s/g, "") === "tuple()")) {
    diagnostics.error(valuePosition(sorting.statement), `\`${sorting.value}\` is not a valid sorting key for ${type}; list the columns that identify a row`);
  }
  for (const part of parts) {
    const column = columns.get(stripBackticks(part));
    if (column?.nullable) {
      diagnostics.error(valuePosition(sorting.statement), `ENGINE_SORTING_KEY must not use Nullable column \`${column.name}\`; make it non-Nullable with a DEFAULT`);
    } else if (column?.dataType.kind === "aggregateFunction" && !column.dataType.simple) {
      diagnostics.error(valuePosition(sorting.statement), `ENGINE_SORTING_KEY must not use AggregateFunction column \`${column.name}\``);
    } else if (/\b\w+(State|Merge)\s*\(|\b(count|sum|avg|uniq|min|max)\s*\(/i.test(part) && !column) {
      diagnostics.error(valuePosition(sorting.statement), `ENGINE_SORTING_KEY must not contain aggregate expressions (\`${part}\`)`);
    }
  }
  if (common.primaryKey !== undefined) {
    const primary = keyParts(common.primaryKey).map((p) => p.replace(/\s+/g, ""));
    const sortingNorm = parts.map((p) => p.replace(/\s+/g, ""));
    if (primary.some((p, i) => sortingNorm[i] !== p)) {
      diagnostics.error(valuePosition(sorting.statement), `ENGINE_PRIMARY_KEY \`${common.primaryKey}\` must be a prefix of ENGINE_SORTING_KEY \`${sorting.value}\``);
    }
  }
}

function buildKafka(values: Map<string, { value: string; statement: Statement }>, context: DirectiveContext): KafkaDatasourceSettings | undefined {
  if (values.size === 0) return undefined;
  const { diagnostics } = context;
  const first = values.values().next().value!.statement;
  const connectionName = values.get("KAFKA_CONNECTION_NAME")?.value;
  const topic = values.get("KAFKA_TOPIC")?.value;
  if (!connectionName) diagnostics.error(positionOf(first), "a Kafka datasource needs KAFKA_CONNECTION_NAME <connection>");
  if (!topic) diagnostics.error(positionOf(first), "a Kafka datasource needs KAFKA_TOPIC <topic>");
  const settings: KafkaDatasourceSettings = { connectionName: connectionName ?? "", topic: topic ?? "" };
  const groupId = values.get("KAFKA_GROUP_ID");
  if (groupId) settings.groupId = groupId.value;
  const reset = values.get("KAFKA_AUTO_OFFSET_RESET");
  if (reset) {
    const v = reset.value.toLowerCase();
    if (v === "latest" || v === "earliest") settings.autoOffsetReset = v;
    else diagnostics.error(valuePosition(reset.statement), `invalid KAFKA_AUTO_OFFSET_RESET \`${reset.value}\`; expected latest or earliest`);
  }
  for (const [kw, field] of [["KAFKA_STORE_RAW_VALUE", "storeRawValue"], ["KAFKA_STORE_HEADERS", "storeHeaders"]] as const) {
    const option = values.get(kw);
    if (!option) continue;
    const b = parseBooleanValue(option.value);
    if (b === undefined) diagnostics.error(valuePosition(option.statement), `invalid ${kw} \`${option.value}\`; expected True or False`);
    else settings[field] = b;
  }
  for (const [kw, field] of [["KAFKA_KEY_FORMAT", "keyFormat"], ["KAFKA_VALUE_FORMAT", "valueFormat"]] as const) {
    const option = values.get(kw);
    if (!option) continue;
    const v = option.value.toLowerCase();
    if (["json_without_schema", "json_with_schema", "avro"].includes(v)) settings[field] = v;
    else diagnostics.error(valuePosition(option.statement), `invalid ${kw} \`${option.value}\`; expected json_without_schema, json_with_schema or avro`);
  }
  return settings;
}

function buildImport(values: Map<string, { value: string; statement: Statement }>, context: DirectiveContext): ImportDatasourceSettings | undefined {
  if (values.size === 0) return undefined;
  const { diagnostics } = context;
  const first = values.values().next().value!.statement;
  const connectionName = values.get("IMPORT_CONNECTION_NAME")?.value;
  if (!connectionName) diagnostics.error(positionOf(first), "an import datasource needs IMPORT_CONNECTION_NAME <connection>");
  const settings: ImportDatasourceSettings = { connectionName: connectionName ?? "" };
  const bucket = values.get("IMPORT_BUCKET_URI");
  const tableArn = values.get("IMPORT_TABLE_ARN");
  if (!bucket && !tableArn) diagnostics.error(positionOf(first), "an import datasource needs IMPORT_BUCKET_URI, e.g. s3://bucket/prefix/*.ndjson");
  if (bucket) settings.bucketUri = bucket.value;
  if (tableArn) settings.tableArn = tableArn.value;
  const schedule = values.get("IMPORT_SCHEDULE");
  if (schedule) {
    if (/^@(auto|once|on-demand)$/.test(schedule.value) || isCron(schedule.value)) settings.schedule = schedule.value;
    else diagnostics.error(valuePosition(schedule.statement), `invalid IMPORT_SCHEDULE \`${schedule.value}\`; expected @auto, @once, @on-demand or a cron expression`);
  }
  const from = values.get("IMPORT_FROM_TIMESTAMP");
  if (from) {
    if (Number.isNaN(Date.parse(from.value))) diagnostics.error(valuePosition(from.statement), `invalid IMPORT_FROM_TIMESTAMP \`${from.value}\`; expected an ISO timestamp such as 2025-01-01T00:00:00Z`);
    else settings.fromTimestamp = from.value;
  }
  const query = values.get("IMPORT_QUERY");
  if (query) settings.query = query.value;
  const exportBucket = values.get("IMPORT_EXPORT_BUCKET");
  if (exportBucket) settings.exportBucket = exportBucket.value;
  return settings;
}

/** A cron schedule, as the croner library reads it (shared/cron). */
export { isCron };
