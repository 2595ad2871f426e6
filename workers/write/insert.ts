/**
 * @module write/insert
 * The one way rows reach a datasource's table: JSONEachRow lines sent as the
 * data of an `INSERT … FORMAT JSONEachRow`, in the same HTTP body, so valid
 * lines are forwarded as they are (no re-serialization). A deduplication token
 * makes retries of the same batch land once; materialized views on the table
 * fire and deduplicate with it.
 */
import type { ClickHouseClient } from "@clickhouse/client-web";
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
