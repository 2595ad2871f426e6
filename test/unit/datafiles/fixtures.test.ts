import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDatafile } from "../../../shared/datafiles/index.js";

const ROOT = join(import.meta.dirname, "../../fixtures/projects");

function walk(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const files = walk(ROOT).filter((f) => /\.(datasource|pipe|connection)$/.test(f));

describe("fixture projects", () => {
  it("has at least 30 datafiles in 5 projects", () => {
    expect([files.length >= 30, new Set(files.map((f) => relative(ROOT, f).split("/")[0])).size >= 5]).toEqual([true, true]);
  });

  for (const file of files) {
    const path = relative(ROOT, file);
    it(`parses ${path} without errors or warnings`, () => {
      const result = parseDatafile({ path, text: readFileSync(file, "utf8") });
      expect(result.ok ? result.file.warnings : result.errors.map((e) => e.message)).toEqual([]);
    });
  }

  it("resolves every fixture secret through its default or env", () => {
    const failures = files
      .map((file) => parseDatafile({ path: relative(ROOT, file), text: readFileSync(file, "utf8"), env: { CATALOG_S3_ACCESS_KEY: "ak", CATALOG_S3_SECRET: "sk", GCS_HMAC_ACCESS_ID: "id", GCS_HMAC_SECRET: "s" } }))
      .filter((r) => !r.ok);
    expect(failures).toEqual([]);
  });
});
