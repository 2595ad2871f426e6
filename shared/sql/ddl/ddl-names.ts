/**
 * @module
 * The names a datafile may put in the non-expression positions of a
 * `CREATE TABLE`: codecs, data-skipping index types, MergeTree settings, and
 * the functions refused in DDL on top of the read allowlist. Each list is what
 * ClickHouse offers there minus what reaches outside the table (a disk defined
 * inline, another table, the server's files); a name ClickHouse adds later is
 * refused until someone adds it here.
 */

/** Column codecs, by lower-case name → the spelling ClickHouse documents. Encryption codecs need server keys: refused. */
export const CODECS: ReadonlyMap<string, string> = new Map(
  ["NONE", "LZ4", "LZ4HC", "ZSTD", "Delta", "DoubleDelta", "Gorilla", "FPC", "T64", "GCD"].map((n) => [n.toLowerCase(), n]),
);

/** Data-skipping index types. */
export const INDEX_TYPES: ReadonlyMap<string, string> = new Map(
  ["minmax", "set", "bloom_filter", "ngrambf_v1", "tokenbf_v1", "text"].map((n) => [n.toLowerCase(), n]),
);

/**
 * MergeTree settings a datasource may set: granularity, part format,
 * compression block sizes, TTL and merge behaviour, deduplication. Settings
 * that pick disks or paths (`disk`, `table_disk`), reach ZooKeeper/Keeper or
 * replicas, or change how the server treats broken parts are not here.
 */
export const MERGE_TREE_SETTINGS: ReadonlySet<string> = new Set([
  "index_granularity", "index_granularity_bytes", "min_index_granularity_bytes", "enable_mixed_granularity_parts",
  "use_const_adaptive_granularity", "enable_index_granularity_compression",
  "ttl_only_drop_parts", "merge_with_ttl_timeout", "merge_with_recompression_ttl_timeout", "materialize_ttl_recalculate_only",
  "min_bytes_for_wide_part", "min_rows_for_wide_part", "min_bytes_for_full_part_storage", "min_rows_for_full_part_storage",
  "min_level_for_wide_part", "min_level_for_full_part_storage",
  "min_compress_block_size", "max_compress_block_size", "compress_marks", "compress_primary_key",
  "marks_compress_block_size", "primary_key_compress_block_size",
  "non_replicated_deduplication_window",
  "allow_nullable_key", "allow_floating_point_partition_key", "allow_suspicious_indices",
  "allow_experimental_replacing_merge_with_cleanup", "add_implicit_sign_column_constraint_for_collapsing_engine",
  "deduplicate_merge_projection_mode", "lightweight_mutation_projection_mode",
  "min_age_to_force_merge_seconds", "min_age_to_force_merge_on_partition_only",
  "enable_block_number_column", "enable_block_offset_column",
  "enable_vertical_merge_algorithm", "vertical_merge_algorithm_min_rows_to_activate",
  "vertical_merge_algorithm_min_columns_to_activate", "vertical_merge_algorithm_min_bytes_to_activate",
  "merge_max_block_size", "merge_max_block_size_bytes", "ratio_of_defaults_for_sparse_serialization",
  "exclude_deleted_rows_for_part_size_in_merge", "materialize_skip_indexes_on_merge",
  // Names a policy the server operator configured; it cannot define a new disk.
  "storage_policy",
]);

/**
 * Functions the read allowlist takes but a table definition must not call:
 * they read another table, or stall every insert and merge of the table.
 */
export const DDL_DENIED_FUNCTIONS: ReadonlyMap<string, string> = new Map(Object.entries({
  joinGet: "reads another table",
  joinGetOrNull: "reads another table",
  sleep: "stalls every insert and merge of the table",
  sleepEachRow: "stalls every insert and merge of the table",
}));

/** `x IN y` is `in(x, y)`; with a bare name for `y`, ClickHouse reads the table `y`. */
export const IN_FUNCTIONS: ReadonlySet<string> = new Set([
  "in", "notIn", "globalIn", "globalNotIn", "nullIn", "notNullIn", "globalNullIn", "globalNotNullIn",
  "inIgnoreSet", "notInIgnoreSet", "globalInIgnoreSet", "globalNotInIgnoreSet", "nullInIgnoreSet",
  "notNullInIgnoreSet", "globalNullInIgnoreSet", "globalNotNullInIgnoreSet",
]);
