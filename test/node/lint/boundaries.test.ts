// The import-boundary rules of .oxlintrc.json (each room's "May import" line)
// fire: oxlint, run with the real config on test/fixtures/lint/ (files laid out as
// the rooms), reports exactly the imports marked `// refused: <help>`, each with
// its room's help text, and nothing else; and the real tree lints clean.
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../../..");
const FIXTURES = join(ROOT, "test/fixtures/lint");
const OXLINT = join(ROOT, "node_modules/.bin/oxlint");
const run = promisify(execFile);

interface Diagnostic {
  where: string;
  code: string;
  message: string;
  help: string;
}

interface OxlintJson {
  diagnostics: {
    message: string;
    code: string;
    help?: string;
    filename: string;
    labels: { span: { line: number } }[];
  }[];
}

/** oxlint's JSON report; it exits 1 when it finds errors, which is not a failure here. */
async function oxlint(args: string[], cwd: string): Promise<Diagnostic[]> {
  const result = await run(OXLINT, [...args, "--format", "json"], { cwd, maxBuffer: 16 << 20 }).catch(
    (err: { code?: number; stdout?: string; stderr?: string }) => {
      if (err.code !== 1 || !err.stdout) throw new Error(`oxlint failed: ${err.stderr ?? err}`);
      return { stdout: err.stdout };
    },
  );
  const report = JSON.parse(result.stdout) as OxlintJson;
  return report.diagnostics.map((d) => ({
    where: `${d.filename}:${d.labels[0]?.span.line}`,
    code: d.code,
    message: d.message,
    help: d.help ?? "",
  }));
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith(".ts")).map((e) => join(e.parentPath, e.name));
}

/** What the fixtures promise: one diagnostic per line marked `// refused: <start of the help>`. */
async function expectedDiagnostics(): Promise<Diagnostic[]> {
  const expected: Diagnostic[] = [];
  for (const file of await filesUnder(FIXTURES)) {
    const lines = (await readFile(file, "utf8")).split("\n");
    lines.forEach((line, i) => {
      const marked = /["']([^"']+)["'].*\/\/ refused: (.+)$/.exec(line);
      if (!marked) return;
      const [, specifier = "", help = ""] = marked;
      expected.push({
        where: `${relative(FIXTURES, file)}:${i + 1}`,
        code: "eslint(no-restricted-imports)",
        message: `'${specifier}' import is restricted from being used by a pattern.`,
        help: expect.stringMatching(new RegExp(`^${escapeRegExp(help)}`)) as unknown as string,
      });
    });
  }
  return expected;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

const byPlace = (a: Diagnostic, b: Diagnostic) =>
  a.where.localeCompare(b.where, "en", { numeric: true }) || a.message.localeCompare(b.message);

describe("import boundaries (.oxlintrc.json)", () => {
  let tmp: string;
  beforeAll(async () => {
    // The overrides' globs are relative to the config file, so the fixtures sit
    // beside a copy of it, where workers/, shared/, cli/ ... mean the rooms.
    tmp = await mkdtemp(join(tmpdir(), "tern-lint-"));
    await cp(join(ROOT, ".oxlintrc.json"), join(tmp, ".oxlintrc.json"));
    await cp(FIXTURES, tmp, { recursive: true });
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it("refuses exactly the imports the fixtures mark, with their room's rule", async () => {
    const expected = (await expectedDiagnostics()).sort(byPlace);
    // Every room and the cases the issue names are among them.
    const places = expected.map((d) => `${d.where} ${d.message}`);
    for (const needed of [
      /^workers\/index\.ts:\d+ '..\/cli\/main\.js'/,
      /^workers\/index\.ts:\d+ 'node:fs'/,
      /^workers\/endpoints\/imports\.ts:\d+ '..\/ingest\/insert\.js'/,
      /^shared\/runtime-apis\.ts:\d+ 'node:fs'/,
      /^shared\/runtime-apis\.ts:\d+ 'cloudflare:workers'/,
      /^shared\/datafiles\/reaches-up\.ts:\d+ '..\/..\/workers\/env\.js'/,
      /^cli\/commands\/imports\.ts:\d+ '..\/..\/workers\/index\.js'/,
      /^clickhouse-local\/imports\.ts:\d+ '..\/shared\/errors\.js'/,
      /^tools\/imports\.ts:\d+ '..\/workers\/env\.js'/,
    ]) {
      expect(places.some((p) => needed.test(p)), `a fixture line matching ${needed}`).toBe(true);
    }

    const actual = (await oxlint(["-c", ".oxlintrc.json", "."], tmp)).sort(byPlace);
    expect(actual).toEqual(expected);
  });

  it("the fixtures are not refused where they really are (test/fixtures/lint/): the rules follow the rooms' paths", async () => {
    expect(await oxlint(["-c", ".oxlintrc.json", "test/fixtures/lint"], ROOT)).toEqual([]);
  });

  it("the real tree lints clean with `npm run lint`'s command", async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { scripts: { lint: string } };
    const [bin, ...args] = pkg.scripts.lint.split(/\s+/);
    expect(bin).toBe("oxlint");
    expect(await oxlint(args, ROOT)).toEqual([]);
  });
});
