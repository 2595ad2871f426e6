/**
 * Output formats: which ones can be streamed out of chDB chunk by chunk, and how
 * to join the chunks. chDB formats every streamed chunk as a complete document
 * (each CSVWithNames chunk repeats the header, each JSON chunk is a whole JSON
 * object), so a format streams only if its chunks can be joined into what one
 * ClickHouse server response would be. Everything else runs one-shot.
 */

type Joining =
  | { kind: "concat" } // rows only: chunks concatenate
  | { kind: "textHeader"; lines: number } // the first `lines` lines of each chunk repeat
  | { kind: "binaryHeader"; withTypes: boolean }; // RowBinaryWithNames[AndTypes]

const STREAMABLE: Record<string, Joining> = {};
const concat = (...names: string[]) => names.forEach((n) => (STREAMABLE[n.toLowerCase()] = { kind: "concat" }));
const header = (lines: number, ...names: string[]) =>
  names.forEach((n) => (STREAMABLE[n.toLowerCase()] = { kind: "textHeader", lines }));

concat(
  "JSONEachRow",
  "JSONLines",
  "NDJSON",
  "JSONStringsEachRow",
  "JSONCompactEachRow",
  "JSONCompactStringsEachRow",
  "CSV",
  "TSV",
  "TabSeparated",
  "TSVRaw",
  "TabSeparatedRaw",
  "Raw",
  "LineAsString",
  "RowBinary",
  "Native",
  "Null",
);
header(
  1,
  "CSVWithNames",
  "TSVWithNames",
  "TabSeparatedWithNames",
  "TSVRawWithNames",
  "TabSeparatedRawWithNames",
  "RawWithNames",
  "JSONCompactEachRowWithNames",
  "JSONCompactStringsEachRowWithNames",
);
header(
  2,
  "CSVWithNamesAndTypes",
  "TSVWithNamesAndTypes",
  "TabSeparatedWithNamesAndTypes",
  "TSVRawWithNamesAndTypes",
  "TabSeparatedRawWithNamesAndTypes",
  "RawWithNamesAndTypes",
  "JSONCompactEachRowWithNamesAndTypes",
  "JSONCompactStringsEachRowWithNamesAndTypes",
);
STREAMABLE["rowbinarywithnames"] = { kind: "binaryHeader", withTypes: false };
STREAMABLE["rowbinarywithnamesandtypes"] = { kind: "binaryHeader", withTypes: true };

export function isStreamable(format: string): boolean {
  return STREAMABLE[format.toLowerCase()] !== undefined;
}

/** HTTP Content-Type ClickHouse uses for a format. */
export function contentTypeFor(format: string): string {
  const f = format.toLowerCase();
  if (f.startsWith("csv")) return `text/csv; charset=UTF-8; header=${f === "csv" ? "absent" : "present"}`;
  if (f.startsWith("tsv") || f.startsWith("tabseparated"))
    return `text/tab-separated-values; charset=UTF-8`;
  if (f === "jsoneachrow" || f === "jsonlines" || f === "ndjson") return "application/x-ndjson; charset=UTF-8";
  if (f.startsWith("json")) return "application/json; charset=UTF-8";
  if (f === "xml") return "application/xml; charset=UTF-8";
  if (f.startsWith("pretty") || f === "vertical" || f === "markdown" || f === "values" || f === "raw" || f === "lineasstring")
    return "text/plain; charset=UTF-8";
  return "application/octet-stream";
}

function readVarUInt(b: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (pos >= b.length) throw new Error("truncated RowBinary header");
    const byte = b[pos++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, pos];
    shift += 7;
  }
}

function binaryHeaderLength(b: Uint8Array, withTypes: boolean): number {
  let [count, pos] = readVarUInt(b, 0);
  const strings = withTypes ? count * 2 : count;
  for (let i = 0; i < strings; i++) {
    let len: number;
    [len, pos] = readVarUInt(b, pos);
    pos += len;
  }
  return pos;
}

function textHeaderLength(b: Uint8Array, lines: number): number {
  let pos = 0;
  for (let i = 0; i < lines; i++) {
    const nl = b.indexOf(0x0a, pos);
    if (nl < 0) return b.length;
    pos = nl + 1;
  }
  return pos;
}

/** Joins streamed chunks of one result into one well-formed body. */
export class ChunkJoiner {
  #first = true;
  readonly #joining: Joining;
  constructor(format: string) {
    const j = STREAMABLE[format.toLowerCase()];
    if (!j) throw new Error(`format ${format} is not streamable`);
    this.#joining = j;
  }

  /** The bytes of `chunk` that belong in the response. */
  next(chunk: Uint8Array): Uint8Array {
    const first = this.#first;
    this.#first = false;
    if (first || chunk.length === 0) return chunk;
    switch (this.#joining.kind) {
      case "concat":
        return chunk;
      case "textHeader":
        return chunk.subarray(textHeaderLength(chunk, this.#joining.lines));
      case "binaryHeader":
        return chunk.subarray(binaryHeaderLength(chunk, this.#joining.withTypes));
    }
  }
}
