/**
 * @module write/insert
 * The one way rows reach a datasource's table: JSONEachRow lines sent as the
 * data of an `INSERT … FORMAT JSONEachRow`, in the same HTTP body, so valid
 * lines are forwarded as they are (no re-serialization). A deduplication token
 * makes retries of the same batch land once; materialized views on the table
 * fire and deduplicate with it.
 */
import type { ClickHouseClient } from "@clickhouse/client-web";
import type { SqlCheckPlan } from "../../shared/ingest/index.js";
import { quoteQualifiedName } from "../../shared/sql/ddl/index.js";

/** A ClickHouse table, as inserts name it. */
export interface TableRef {
  database: string;
  table: string;
}

export interface InsertResult {
  rows: number;
  bytes: number;
}

/** Settings of every ingest INSERT (besides the deduplication token). */
export const INSERT_SETTINGS = {
  deduplicate_blocks_in_dependent_materialized_views: 1,
  // A deployment may add columns between validation and insert; unknown
  // keys are tolerated rather than failing a batch that was accepted.
  input_format_skip_unknown_fields: 1,
  date_time_input_format: "best_effort",
  // One block per insert, so the dedup token covers the whole batch.
  max_insert_block_size: "100000000",
  min_insert_block_size_rows: "0",
  min_insert_block_size_bytes: "0",
} as const;

export async function insertJsonLines(
  ch: ClickHouseClient,
  target: TableRef,
  lines: string,
  opts: { dedupToken?: string; rows: number },
): Promise<InsertResult> {
  if (opts.rows === 0 || lines.length === 0) return { rows: 0, bytes: 0 };
  const query = `INSERT INTO ${quoteQualifiedName(target.database, target.table)} FORMAT JSONEachRow\n${lines}`;
  await ch.command({
    query,
    clickhouse_settings: {
      ...(opts.dedupToken ? { insert_deduplication_token: opts.dedupToken, insert_deduplicate: 1 } : {}),
      ...INSERT_SETTINGS,
    },
  });
  return { rows: opts.rows, bytes: lines.length };
}

/**
 * Settings of an insert whose rows ClickHouse checks itself (shared/ingest/sql-check.ts): one
 * reading thread and every chunk squashed into one block written at the end, so a line that
 * makes `throwIf` fire leaves nothing of the insert behind.
 */
const CHECKED_SETTINGS = {
  max_threads: 1,
  max_insert_threads: "1",
  input_format_parallel_parsing: 0,
  // A missing key is NULL in the SELECT: the column's DEFAULT (from the row) or the type's zero value.
  insert_null_as_default: 1,
  min_insert_block_size_rows: "1000000000000",
  min_insert_block_size_bytes: "1000000000000",
} as const;

/**
 * NDJSON lines as the data of the SQL check's `INSERT … SELECT` (the text travels inside the
 * statement as a heredoc: `format(LineAsString, …)`, as the local engine ignores `input()`'s data).
 * Throws ClickHouse's `throwIf` error (code 395) when a line needs the Worker's validation.
 */
export async function insertCheckedLines(
  ch: ClickHouseClient,
  target: TableRef,
  plan: SqlCheckPlan,
  lines: string,
  opts: { dedupToken?: string; rows: number },
): Promise<InsertResult> {
  if (opts.rows === 0 || lines.length === 0) return { rows: 0, bytes: 0 };
  const head = plan.head(target);
  const query = `${head}${lines}${plan.tail}`;
  await ch.command({
    query,
    clickhouse_settings: {
      ...(opts.dedupToken ? { insert_deduplication_token: opts.dedupToken, insert_deduplicate: 1 } : {}),
      ...INSERT_SETTINGS,
      ...CHECKED_SETTINGS,
      // The statement holds the lines: its size is theirs (UTF-8 bytes are at most 3 per UTF-16 unit).
      max_query_size: String(3 * query.length + 1024),
    },
  });
  return { rows: opts.rows, bytes: lines.length };
}
