/**
 * @module testing/cases
 * Tinybird test files (`tests/<pipe>.yaml`): a list of cases with `name`,
 * `description`, `parameters` (a query string), `expected_result` (NDJSON, as
 * `/v0/pipes/<pipe>.ndjson` answers) and optional `expected_http_status`. The
 * pipe is the file's name. Also the comparison and the in-place rewrite
 * behind `tern test update`.
 */
import { readdir, readFile } from "node:fs/promises";
import { basename, join, relative, sep } from "node:path";
import { itemValue, parseYamlList, YamlError, type YamlItem } from "../yaml/parse.js";
import { setItemEntry } from "../yaml/write.js";

export interface TestCase {
  name: string;
  description: string;
  parameters: string;
  expectedResult: string;
  expectedStatus: number;
  item: YamlItem;
}

export interface TestFile {
  /** Relative to the project folder, `/`-separated. */
  path: string;
  pipe: string;
  text: string;
  cases: TestCase[];
}

const TEST_EXT = /\.ya?ml$/;

/** Every `tests/**\/*.yaml` (and `.yml`) of the project, by path. */
export async function findTestFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
      throw e;
    }
    for (const entry of entries) {
      if (entry.isDirectory() && !entry.name.startsWith(".") && entry.name !== "node_modules") await walk(join(dir, entry.name));
      else if (entry.isFile() && TEST_EXT.test(entry.name)) out.push(relative(root, join(dir, entry.name)).split(sep).join("/"));
    }
  };
  await walk(join(root, "tests"));
  return out.sort();
}

/** Parses one test file; mistakes are thrown as `path:line: message`. */
export function parseTestFile(path: string, text: string): TestFile {
  let items: YamlItem[];
  try {
    items = parseYamlList(text);
  } catch (e) {
    if (e instanceof YamlError) throw new Error(`${path}:${e.line}: ${e.message.replace(/^line \d+: /, "")}`);
    throw e;
  }
  const seen = new Set<string>();
  const cases = items.map((item): TestCase => {
    const at = `${path}:${item.startLine + 1}`;
    const name = itemValue(item, "name");
    if (!name) throw new Error(`${at}: a test case needs a name`);
    if (seen.has(name)) throw new Error(`${at}: two test cases are named '${name}'`);
    seen.add(name);
    const status = itemValue(item, "expected_http_status");
    const expectedStatus = status === undefined || status === null ? 200 : Number(status);
    if (!Number.isInteger(expectedStatus) || expectedStatus < 100 || expectedStatus > 599) throw new Error(`${at}: expected_http_status must be an HTTP status, got '${status}'`);
    return {
      name,
      description: itemValue(item, "description") ?? "",
      parameters: (itemValue(item, "parameters") ?? "").trim().replace(/^\?/, ""),
      expectedResult: itemValue(item, "expected_result") ?? "",
      expectedStatus,
      item,
    };
  });
  return { path, pipe: basename(path).replace(TEST_EXT, ""), text, cases };
}

export async function loadTestFile(root: string, path: string): Promise<TestFile> {
  return parseTestFile(path, await readFile(join(root, path), "utf8"));
}

/**
 * The results match when their lines do: a final newline (YAML's `|` keeps
 * one, `|-` drops it) and `\r\n` endings make no difference; everything else,
 * byte for byte, does.
 */
export function sameResult(expected: string, actual: string): boolean {
  const norm = (s: string) => s.replace(/\r\n/g, "\n").replace(/\n+$/, "");
  return norm(expected) === norm(actual);
}

/** The file's text with new expected results (and statuses) for the given cases. */
export function updatedText(file: TestFile, results: ReadonlyMap<string, { body: string; status: number }>): string {
  const hadFinalNewline = file.text.endsWith("\n");
  let lines = file.text.replace(/\r\n?/g, "\n").split("\n");
  if (hadFinalNewline) lines.pop();
  // Bottom-up, so earlier items' line numbers stay valid.
  for (const c of [...file.cases].sort((a, b) => b.item.startLine - a.item.startLine)) {
    const r = results.get(c.name);
    if (!r) continue;
    const item = c.item;
    const lengthBefore = lines.length;
    lines = setItemEntry(lines, item, "expected_result", r.body);
    const hasStatus = item.entries.some((e) => e.key === "expected_http_status");
    if (hasStatus || r.status !== 200) {
      // Re-parse this item's span is unnecessary: the status entry sits before or after expected_result.
      const shift = lines.length - lengthBefore;
      const resultEntry = item.entries.find((e) => e.key === "expected_result");
      const statusEntry = item.entries.find((e) => e.key === "expected_http_status");
      const moved: YamlItem = {
        ...item,
        endLine: item.endLine + shift,
        entries: item.entries.map((e) => {
          const after = resultEntry ? e.startLine > resultEntry.startLine : false;
          return after ? { ...e, startLine: e.startLine + shift, endLine: e.endLine + shift } : e;
        }),
      };
      if (statusEntry || r.status !== 200) lines = setItemEntry(lines, moved, "expected_http_status", String(r.status));
    }
  }
  return lines.join("\n") + (hadFinalNewline ? "\n" : "");
}
