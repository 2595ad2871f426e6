/**
 * @module testing/diff
 * A line diff for test results: unified style (`---`/`+++`, `@@` hunks with
 * three lines of context, `-` expected, `+` actual), from a longest common
 * subsequence over the lines. Results are small (a test's NDJSON), so the
 * quadratic table is fine; past a size limit the whole texts are shown as
 * removed and added.
 */

export type DiffOp = { op: " " | "-" | "+"; line: string };

const MAX_CELLS = 4_000_000;

/** Splits text into lines; a final "\n" ends the last line and makes no empty line. */
export function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/** Edit script turning `a` into `b`: kept, removed and added lines in order. */
export function diffLines(a: readonly string[], b: readonly string[]): DiffOp[] {
  // Common prefix and suffix first: most failures touch a few lines.
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const head = a.slice(0, start).map((line) => ({ op: " " as const, line }));
  const tail = a.slice(endA).map((line) => ({ op: " " as const, line }));
  const x = a.slice(start, endA);
  const y = b.slice(start, endB);
  const middle: DiffOp[] = [];
  if ((x.length + 1) * (y.length + 1) > MAX_CELLS) {
    for (const line of x) middle.push({ op: "-", line });
    for (const line of y) middle.push({ op: "+", line });
    return [...head, ...middle, ...tail];
  }
  // lcs[i][j] = LCS length of x[i:] and y[j:]
  const w = y.length + 1;
  const lcs = new Uint32Array((x.length + 1) * w);
  for (let i = x.length - 1; i >= 0; i--) {
    for (let j = y.length - 1; j >= 0; j--) {
      lcs[i * w + j] = x[i] === y[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
    }
  }
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    if (x[i] === y[j]) {
      middle.push({ op: " ", line: x[i]! });
      i++;
      j++;
    } else if (lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!) {
      middle.push({ op: "-", line: x[i++]! });
    } else {
      middle.push({ op: "+", line: y[j++]! });
    }
  }
  while (i < x.length) middle.push({ op: "-", line: x[i++]! });
  while (j < y.length) middle.push({ op: "+", line: y[j++]! });
  return [...head, ...middle, ...tail];
}

/**
 * Unified diff of two texts, or "" when their lines are equal. Hunk headers
 * count lines from 1, as `diff -u` does.
 */
export function unifiedDiff(expected: string, actual: string, labels = { expected: "expected", actual: "actual" }, context = 3): string {
  const ops = diffLines(splitLines(expected), splitLines(actual));
  if (ops.every((o) => o.op === " ")) return "";
  const out = [`--- ${labels.expected}`, `+++ ${labels.actual}`];
  // Positions (0-based) in a and b before each op.
  const posA: number[] = [];
  const posB: number[] = [];
  let pa = 0;
  let pb = 0;
  for (const o of ops) {
    posA.push(pa);
    posB.push(pb);
    if (o.op !== "+") pa++;
    if (o.op !== "-") pb++;
  }
  const changed = ops.map((o, k) => (o.op !== " " ? k : -1)).filter((k) => k >= 0);
  let k = 0;
  while (k < changed.length) {
    // One hunk: changes closer than 2 × context share their context lines.
    let last = changed[k]!;
    let m = k + 1;
    while (m < changed.length && changed[m]! - last <= 2 * context) last = changed[m++]!;
    const from = Math.max(0, changed[k]! - context);
    const end = Math.min(ops.length, last + 1 + context);
    k = m;
    const slice = ops.slice(from, end);
    const lenA = slice.filter((o) => o.op !== "+").length;
    const lenB = slice.filter((o) => o.op !== "-").length;
    const startA = lenA === 0 ? posA[from]! : posA[from]! + 1;
    const startB = lenB === 0 ? posB[from]! : posB[from]! + 1;
    out.push(`@@ -${startA}${lenA === 1 ? "" : `,${lenA}`} +${startB}${lenB === 1 ? "" : `,${lenB}`} @@`);
    for (const o of slice) out.push(`${o.op}${o.line}`);
  }
  return out.join("\n");
}
