/**
 * @module
 * Every value of a `.datasource` that Tern writes into SQL is checked here,
 * once the whole file is read (a DEFAULT or a key may name any column): keys,
 * TTL, settings, DEFAULT/MATERIALIZED, CODEC, column types, INDEXES and
 * FORWARD_QUERY. Each must be exactly the one expression, list or clause its
 * position takes, over this datasource's own columns, with allowed functions
 * only (`shared/sql/ddl/value-check.ts`). A refusal is a `DatafileError` at
 * the value, like any other parse error, so `tern check` and the deploy (which
 * both parse) refuse the same files.
 */
import type { DatasourceFile } from "./ast.js";
import type { Diagnostics, SourcePosition } from "./errors.js";
import type { ColumnPositions } from "./schema.js";
import type { ClickHouseType } from "./types.js";
import { checkDdlValue, hasControlCharacter, type DdlValueKind } from "../sql/ddl/value-check.js";
import { ddlFunctionProblem } from "../sql/ddl/ddl-functions.js";

export interface DdlValuePositions {
  columns: Map<string, ColumnPositions>;
  indexes: Map<string, SourcePosition>;
  /** Value position of each directive, by keyword. */
  directives: Record<string, SourcePosition>;
}

/** The engine options that land in SQL, by the directive that sets them, and what each position takes. */
const ENGINE_VALUES = [
  ["ENGINE_SORTING_KEY", "sortingKey", "key"],
  ["ENGINE_PARTITION_KEY", "partitionKey", "key"],
  ["ENGINE_PRIMARY_KEY", "primaryKey", "key"],
  ["ENGINE_SAMPLING_KEY", "samplingKey", "expression"],
  ["ENGINE_TTL", "ttl", "ttl"],
  ["ENGINE_SETTINGS", "settings", "settings"],
] as const satisfies readonly (readonly [string, string, DdlValueKind])[];

/**
 * Reports every value of `file` that may not be written into DDL. With
 * `columnsKnown` false (the SCHEMA had errors, already reported), names are
 * not checked against the columns, so a broken column is not reported twice.
 */
export function checkDatasourceDdlValues(
  file: DatasourceFile, positions: DdlValuePositions, columnsKnown: boolean, diagnostics: Diagnostics,
): void {
  const context = columnsKnown ? { columns: new Set(file.columns.map((c) => c.name)) } : {};
  const check = (text: string, kind: DdlValueKind, at: SourcePosition, what: string, withColumns = true) => {
    // Without the values (no env when parsing), a reference would be written into the DDL as is.
    if (/\{\{|\$\{/.test(text)) {
      diagnostics.error(at, `${what}: \`{{ … }}\` and \`\${…}\` references are not substituted into DDL; write the value itself`);
      return;
    }
    const result = checkDdlValue(text, kind, withColumns ? context : {});
    if (!result.ok) diagnostics.error(at, `${what}: ${result.message}`);
  };
  const fileStart: SourcePosition = { file: file.path, line: 1, column: 1 };

  for (const column of file.columns) {
    const where = positions.columns.get(column.name);
    const nameAt = where?.name ?? { file: column.file, line: column.line, column: 1 };
    if (hasControlCharacter(column.name)) {
      diagnostics.error(nameAt, "column names with control characters or line breaks are not allowed");
      continue;
    }
    check(column.type, "type", nameAt, `type of column \`${column.name}\``);
    const aggregate = aggregateFunctionProblem(column.dataType);
    if (aggregate) diagnostics.error(nameAt, `type of column \`${column.name}\`: ${aggregate}`);
    if (column.default !== undefined) check(column.default, "expression", where?.default ?? nameAt, `DEFAULT of column \`${column.name}\``);
    if (column.materialized !== undefined) check(column.materialized, "expression", nameAt, `MATERIALIZED of column \`${column.name}\``);
    if (column.codec !== undefined) check(column.codec, "codec", where?.codec ?? nameAt, `CODEC of column \`${column.name}\``);
  }

  for (const index of file.indexes) {
    const at = positions.indexes.get(index.name) ?? { file: index.file, line: index.line, column: 1 };
    if (hasControlCharacter(index.name)) {
      diagnostics.error(at, "index names with control characters or line breaks are not allowed");
      continue;
    }
    check(index.expr, "expression", at, `index \`${index.name}\``);
    check(index.type, "index_type", at, `TYPE of index \`${index.name}\``);
  }

  const engine = file.engine;
  if (engine.type !== "Null" && engine.type !== "Join") {
    for (const [keyword, field, kind] of ENGINE_VALUES) {
      const value = engine[field];
      if (value !== undefined) check(value, kind, positions.directives[keyword] ?? fileStart, keyword);
    }
  }
  // A FORWARD_QUERY reads the previous version's columns, which this file does not know.
  if (file.forwardQuery !== undefined) {
    check(file.forwardQuery, "select_list", positions.directives.FORWARD_QUERY ?? fileStart, "FORWARD_QUERY", false);
  }
}

/** AggregateFunction(fn, …) types name a function: it must be one a read may call. */
function aggregateFunctionProblem(type: ClickHouseType): string | undefined {
  switch (type.kind) {
    case "aggregateFunction": {
      const paren = type.fn.indexOf("(");
      const problem = paren < 0 ? ddlFunctionProblem(type.fn) : checkParametric(type.fn);
      return problem ?? type.args.map(aggregateFunctionProblem).find((p) => p !== undefined);
    }
    case "nullable": case "lowCardinality": return aggregateFunctionProblem(type.inner);
    case "array": return aggregateFunctionProblem(type.element);
    case "map": return aggregateFunctionProblem(type.key) ?? aggregateFunctionProblem(type.value);
    case "tuple": return type.elements.map((e) => aggregateFunctionProblem(e.type)).find((p) => p !== undefined);
    case "nested": return type.fields.map((f) => aggregateFunctionProblem(f.type)).find((p) => p !== undefined);
    case "variant": return type.types.map(aggregateFunctionProblem).find((p) => p !== undefined);
    default: return undefined;
  }
}

/** `quantiles(0.5, 0.9)`: a call with literal parameters only. */
function checkParametric(fn: string): string | undefined {
  const result = checkDdlValue(fn, "expression", { columns: new Set() });
  return result.ok ? undefined : result.message;
}
