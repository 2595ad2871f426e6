/**
 * @module
 * Edge-side validation for the Events API: split a body into rows, validate
 * and coerce each against the datasource schema, and split good rows
 * (JSONEachRow lines for the datasource table) from bad ones (JSONEachRow
 * lines for `<datasource>_quarantine`). Pure: no I/O, the clock is passed in.
 *
 * @example
 * const validator = compileRowValidator(datasource.columns); // once per schema
 * const r = validateNdjson(bodyBytes, validator, { importId, now: Date.now() });
 * // INSERT INTO t FORMAT JSONEachRow  <- r.validLines.join("\n")
 * // INSERT INTO t_quarantine FORMAT JSONEachRow <- r.quarantineLines.join("\n")
 */
import { decodeBody, forEachNdjsonRow, type IngestBody } from "./ndjson.js";
import {
  buildQuarantineRow, malformedJsonMessage, quarantineLine, unparsedQuarantineInfo,
  type QuarantineContext, type QuarantineInfo, type QuarantineRow,
} from "./quarantine.js";
import { LINE_VALIDATOR, toClickHouseLine, type LineValidator, type RowValidator } from "./validate-row.js";

export { compileRowValidator, toClickHouseLine, SchemaError, type RowValidator, type RowResult, type ValidRow, type IngestColumn } from "./validate-row.js";
export { compileCoercer, FAIL, decimalText, type Coercer } from "./coerce.js";
export { compileJsonPath, evaluateJsonPath, MISSING, type JsonPath, type JsonPathSegment } from "./jsonpath.js";
export { decodeBody, forEachNdjsonRow, type IngestBody, type NdjsonHandlers } from "./ndjson.js";
export { NdjsonSegmenter, type Segment } from "./segment.js";
export { planSqlCheck, countLines, HEREDOC, SQL_CHECK_MESSAGE, THROW_IF_CODE, type SqlCheckPlan } from "./sql-check.js";
export { parseJsonLossless } from "./lossless-json.js";
export { escapeLoneSurrogates, firstLoneSurrogate } from "./unicode.js";
export {
  buildQuarantineRow, quarantineLine, quarantineMessage, QUARANTINE_RESERVED,
  type QuarantineContext, type QuarantineInfo, type QuarantineRow,
} from "./quarantine.js";

export interface IngestStats {
  /** Non-blank rows seen (NDJSON lines, array elements). */
  rows: number;
  validRows: number;
  quarantinedRows: number;
  /** Rows that were not valid JSON (counted in quarantinedRows too). */
  malformedRows: number;
  /** Valid rows forwarded as their original text. */
  passthroughRows: number;
  /** UTF-16 length of the decoded body. */
  bodyChars: number;
  /** Sum of the lengths of validLines (add one per line for the newlines). */
  validChars: number;
}

export interface ValidateResult {
  /** JSONEachRow lines for the datasource table, without newlines. */
  validLines: string[];
  validCount: number;
  quarantine: QuarantineRow[];
  /** 1-based body line (or array position) of each quarantine row. */
  quarantineLineNumbers: number[];
  /** JSONEachRow lines for `<datasource>_quarantine`, without newlines. */
  quarantineLines: string[];
  stats: IngestStats;
}

export type ValidateOptions = QuarantineContext & {
  /** A later segment of a streamed body (segment.ts): NDJSON only, its first line is line `firstLine` of the body. */
  continuation?: { firstLine: number };
};

export function validateNdjson(body: IngestBody, validator: RowValidator, options: ValidateOptions): ValidateResult {
  const text = options.continuation === undefined ? decodeBody(body) : typeof body === "string" ? body : decodeBody(body);
  const validLines: string[] = [];
  const quarantine: QuarantineRow[] = [];
  const quarantineLineNumbers: number[] = [];
  const quarantineLines: string[] = [];
  let passthroughRows = 0;
  let malformedRows = 0;
  let validChars = 0;
  const columns = validator.columnNames;

  const quarantineRow = (info: QuarantineInfo, lineNumber: number) => {
    const q = buildQuarantineRow(info, columns, options);
    quarantine.push(q);
    quarantineLineNumbers.push(lineNumber);
    quarantineLines.push(quarantineLine(q));
  };
  const malformed = (raw: string, lineNumber: number, message: string) => {
    malformedRows++;
    quarantineRow(unparsedQuarantineInfo(malformedJsonMessage(lineNumber, message, raw)), lineNumber);
  };

  const lines = (validator as { [LINE_VALIDATOR]?: LineValidator })[LINE_VALIDATOR];
  let rows: number;
  if (lines !== undefined) {
    // compileRowValidator's validators: lines straight away, no row object for passthrough rows.
    const last = lines.last;
    rows = forEachNdjsonRow(text, {
      row(value, raw, lineNumber) {
        const r = lines(value, raw);
        if (typeof r === "string") {
          if (last.passthrough) passthroughRows++;
          validChars += r.length;
          validLines.push(r);
        } else quarantineRow(r, lineNumber);
      },
      malformed,
    }, options.continuation);
    lines.release();
  } else {
    rows = forEachNdjsonRow(text, {
      row(value, raw, lineNumber) {
        const r = validator(value, raw);
        if (r.ok) {
          const line = r.passthrough ? raw : toClickHouseLine(r.row);
          if (r.passthrough) passthroughRows++;
          validChars += line.length;
          validLines.push(line);
          return;
        }
        quarantineRow(r.quarantine, lineNumber);
      },
      malformed,
    }, options.continuation);
  }

  return {
    validLines,
    validCount: validLines.length,
    quarantine,
    quarantineLineNumbers,
    quarantineLines,
    stats: {
      rows,
      validRows: validLines.length,
      quarantinedRows: quarantine.length,
      malformedRows,
      passthroughRows,
      bodyChars: text.length,
      validChars,
    },
  };
}

/**
 * The valid lines of `result` as one JSONEachRow text (`\n`-joined), for the
 * body `text` that `result` came from. When every row of the body was forwarded
 * as its own line and nothing else is in the body but one `\n` between lines
 * (no quarantined, blank or CRLF lines; NDJSON, not an array), that text is the
 * body itself (without its last line break): returned without joining a copy.
 */
export function validText(text: string, result: ValidateResult): string {
  const { validLines, validCount, quarantineLines, stats } = result;
  const body = text.charCodeAt(text.length - 1) === 10 ? text.slice(0, -1) : text;
  if (
    validCount > 0 && quarantineLines.length === 0 && stats.passthroughRows === validCount &&
    stats.validChars + validCount - 1 === body.length &&
    body.startsWith(validLines[0]!) && body.endsWith(validLines[validCount - 1]!)
  ) return body;
  return validLines.join("\n");
}
