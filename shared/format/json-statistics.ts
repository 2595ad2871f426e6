/**
 * @module format/json-statistics
 * Reads `rows` and `statistics` from the end of a ClickHouse `FORMAT JSON`
 * answer. When a large answer streams, the summary header ClickHouse sends up
 * front cannot know what the query will read; the envelope's closing lines
 * do, and they are the last bytes of the body.
 */

export interface JsonStatistics {
  resultRows: number;
  readRows: number;
  readBytes: number;
}

/** How many trailing bytes to keep: the envelope's closing lines fit well within it. */
export const JSON_TAIL_BYTES = 1024;

// Anchored on the closing lines, so a column named "rows" in the data cannot match.
const TAIL = /"rows":\s*(\d+),\s*(?:"rows_before_limit_at_least":\s*\d+,\s*)?"statistics":\s*\{\s*"elapsed":\s*[-+.\deE]+,\s*"rows_read":\s*(\d+),\s*"bytes_read":\s*(\d+)\s*\}\s*\}\s*$/;

export function jsonStatistics(tail: string): JsonStatistics | undefined {
  const m = TAIL.exec(tail);
  if (!m) return undefined;
  return { resultRows: Number(m[1]), readRows: Number(m[2]), readBytes: Number(m[3]) };
}

/** Keeps the last `size` bytes of a byte stream, chunk by chunk. */
export class TailBuffer {
  private buf: Uint8Array;
  private length = 0;
  constructor(private readonly size = JSON_TAIL_BYTES) {
    this.buf = new Uint8Array(size);
  }
  push(chunk: Uint8Array): void {
    if (chunk.byteLength >= this.size) {
      this.buf.set(chunk.subarray(chunk.byteLength - this.size));
      this.length = this.size;
      return;
    }
    const keep = Math.min(this.length, this.size - chunk.byteLength);
    this.buf.copyWithin(0, this.length - keep, this.length);
    this.buf.set(chunk, keep);
    this.length = keep + chunk.byteLength;
  }
  text(): string {
    // A multi-byte character cut at the start only garbles what the pattern does not read.
    return new TextDecoder().decode(this.buf.subarray(0, this.length));
  }
}
