import { createClient, type ClickHouseClient } from "@clickhouse/client-web";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { InvalidParameterError, compileTemplate, render } from "../../../shared/template/index.js";

/**
 * Random values through every parameter type, rendered and run on a real
 * ClickHouse: the SQL must parse and the value must come back unchanged, as
 * Tinybird's escaping lets ClickHouse read it. Two documented Tinybird
 * effects are part of the expectation: `%` is sent as `\%` and 0x1A as `\z`,
 * and ClickHouse keeps the backslash of those unknown escapes.
 */

const SEED = 0x7e2a1;
const CASES = 150;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = mulberry32(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
const int = (n: number): number => Math.floor(rand() * n);

const SPECIAL = ["'", '"', "`", "\\", "%", "_", ";", "--", "/*", "*/", "{", "}", "\n", "\r", "\t", "\0", "\b", "\x1a", "é", "世", "🦆", "\u2028", "\uFEFF"];

function randomChar(): string {
  switch (int(6)) {
    case 0:
      return String.fromCharCode(int(32)); // every control char
    case 1:
      return pick(SPECIAL);
    case 2:
      return String.fromCharCode(0xd800 + int(0x800)); // lone surrogate
    case 3:
      return String.fromCodePoint(0x80 + int(0xd000));
    case 4:
      return String.fromCodePoint(0x10000 + int(0x10000));
    default:
      return String.fromCharCode(32 + int(95));
  }
}

function randomString(max = 24): string {
  let s = "";
  const n = int(max);
  for (let i = 0; i < n; i++) s += randomChar();
  return s;
}

/** What a JS string looks like once encoded as UTF-8 (lone surrogates become U+FFFD). */
function wellFormed(s: string): string {
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
}

/** ClickHouse's reading of a Tinybird-escaped literal. */
function clickhouseView(s: string): string {
  return s.replace(/%/g, "\\%").replace(/\x1a/g, "\\z");
}

/** Tinybird re-reads Array values through a Python literal: `\%`, `` \` ``, `\z` keep their backslash. */
function arrayPreprocess(s: string): string {
  return s
    .replace(/%/g, "\\%")
    .replace(/`/g, "\\`")
    .replace(/\x1a/g, "\\z")
    .replace(/\0([0-7]{0,2})/g, (_m, d: string) => String.fromCharCode(parseInt(`0${d}`, 8)));
}

function randomNumberText(): string {
  const digits = () => Array.from({ length: 1 + int(45) }, () => String(int(10))).join("");
  switch (int(8)) {
    case 0:
      return randomString(6);
    case 1:
      return `${pick(["", "+", "-"])}${digits()}`;
    case 2:
      return `${pick(["", "-"])}${digits()}.${digits()}`;
    case 3:
      return `${pick(["", "-"])}${int(10)}e${pick(["", "-", "+"])}${int(400)}`;
    case 4:
      return pick(["inf", "-inf", "nan", "Infinity", " 1", "1 ", "1_0", "0x1f", "", "1\n", "١"]);
    case 5:
      return String(int(256) - 128);
    default:
      return `${pick(["", "-"])}${int(2 ** 31)}`;
  }
}

const INT_TYPES: Record<string, [bigint, bigint, boolean]> = {};
for (const bits of [8, 16, 32, 64, 128, 256]) {
  INT_TYPES[`Int${bits}`] = [-(1n << BigInt(bits - 1)), 1n << BigInt(bits - 1), true];
  INT_TYPES[`UInt${bits}`] = [0n, 1n << BigInt(bits), bits >= 128];
}

function expectedInt(type: string, text: string): bigint | undefined {
  const [lo, hi, signed] = INT_TYPES[type] as [bigint, bigint, boolean];
  if (!(signed ? /^[+-]?[0-9]+\n?$/ : /^[0-9]+\n?$/).test(text)) return undefined;
  const v = BigInt(text.trim());
  return v >= lo && v < hi ? v : undefined;
}

let client: ClickHouseClient;

async function one(sql: string): Promise<Record<string, unknown>> {
  const rs = await client.query({ query: sql, format: "JSONEachRow" });
  const rows = (await rs.json()) as Record<string, unknown>[];
  return rows[0] as Record<string, unknown>;
}

describe("template values round-trip through a real ClickHouse", () => {
  beforeAll(() => {
    client = createClient({
      url: inject("clickhouseUrl"),
      username: inject("clickhouseUser"),
      password: inject("clickhousePassword"),
    });
  });
  afterAll(async () => {
    await client?.close();
  });

  it("String(x): any string is one literal and reads back as Tinybird sends it", async () => {
    const t = compileTemplate("%\nSELECT {{String(x)}} AS v");
    for (let i = 0; i < CASES; i++) {
      const x = randomString();
      const { sql } = render(t, { x });
      const row = await one(sql);
      expect(row.v, JSON.stringify({ seed: SEED, i, x })).toBe(clickhouseView(wellFormed(x)));
    }
  });

  it("column(x): any string stays one identifier", async () => {
    const t = compileTemplate("%\nSELECT 1 AS {{column(x, 'v')}}");
    for (let i = 0; i < 40; i++) {
      const x = randomString(10).replace(/\./g, "");
      if (!x.replace(/"/g, "")) continue;
      const { sql } = render(t, { x });
      const rs = await client.query({ query: sql, format: "JSONEachRow" });
      const rows = (await rs.json()) as Record<string, unknown>[];
      expect(Object.keys(rows[0] as object), JSON.stringify({ seed: SEED, i, x })).toHaveLength(1);
    }
  });

  it("Array(x, 'String'): every element reads back", async () => {
    const t = compileTemplate("%\nSELECT {{Array(x, 'String')}} AS v");
    for (let i = 0; i < 60; i++) {
      const x = Array.from({ length: 1 + int(4) }, () => randomString(8));
      const { sql } = render(t, { x });
      const row = await one(sql);
      expect(row.v, JSON.stringify({ seed: SEED, i, x })).toEqual(x.map((s) => clickhouseView(arrayPreprocess(wellFormed(s)))));
    }
  });

  it("Int8…UInt256: valid values round-trip, the rest are template errors", async () => {
    for (const type of Object.keys(INT_TYPES)) {
      const t = compileTemplate(`%\nSELECT toString({{${type}(x)}}) AS v`);
      for (let i = 0; i < 25; i++) {
        const x = randomNumberText();
        const expected = expectedInt(type, x);
        if (expected === undefined) {
          expect(() => render(t, { x }), JSON.stringify({ type, x })).toThrow(InvalidParameterError);
          continue;
        }
        const row = await one(render(t, { x }).sql);
        expect(row.v, JSON.stringify({ seed: SEED, type, i, x })).toBe(expected.toString());
      }
    }
  });

  it("Float32/Float64: valid values round-trip, the rest are template errors", async () => {
    for (const type of ["Float32", "Float64"]) {
      const t = compileTemplate(`%\nSELECT {{${type}(x)}} AS v, isNaN(v) AS nan, isInfinite(v) AS inf`);
      for (let i = 0; i < 60; i++) {
        const x = randomNumberText();
        const m = /^[\s]*([+-]?)(inf|infinity|nan|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)[\s]*$/i.exec(x);
        if (!m) {
          expect(() => render(t, { x }), JSON.stringify({ type, x })).toThrow(InvalidParameterError);
          continue;
        }
        const word = (m[2] ?? "").toLowerCase();
        const n = word.startsWith("inf") ? Infinity * (m[1] === "-" ? -1 : 1) : word === "nan" ? NaN : Number(`${m[1]}${m[2]}`);
        const want = type === "Float32" ? Math.fround(n) : n;
        const row = await one(render(t, { x }).sql);
        const ctx = JSON.stringify({ seed: SEED, type, i, x });
        if (Number.isNaN(want)) expect(row.nan, ctx).toBe(1);
        else if (!Number.isFinite(want)) expect(row.inf, ctx).toBe(1);
        else {
          const got = Number(row.v);
          expect(type === "Float32" ? Math.fround(got) : got, ctx).toBe(want);
        }
      }
    }
  });

  it("Date/DateTime/DateTime64: accepted values are sent unchanged as string literals", async () => {
    const samples: [string, string][] = [
      ["Date", "2025-01-31"],
      ["DateTime", "2025-01-31 10:00:00"],
      ["DateTime", "2025-01-31T10:00:00'; DROP TABLE t --"],
      ["DateTime64", "2025-01-31 10:00:00.123"],
    ];
    for (const [type, x] of samples) {
      const row = await one(render(compileTemplate(`%\nSELECT {{${type}(x)}} AS v`), { x }).sql);
      expect(row.v).toBe(x);
    }
  });
});
