/**
 * @module format/table
 * Aligned plain-text tables for human output: a header row, columns padded to
 * their widest cell, two spaces between columns, no trailing spaces.
 *
 * @example
 * formatTable(["ID", "STATUS"], [["1", "live"], ["12", "data_ready"]]);
 * // "ID  STATUS\n1   live\n12  data_ready"
 */

export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  return all
    .map((row) =>
      header
        .map((_, i) => (row[i] ?? "").padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** `key  value` lines with the keys aligned. */
export function formatPairs(pairs: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(width)}  ${v}`.trimEnd()).join("\n");
}
