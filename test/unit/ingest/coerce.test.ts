/**
 * Conformance table for per-type coercion (see cases.ts): every accepted
 * value coerces to exactly `out`; every rejected one quarantines the row with
 * Tinybird's message `value '<raw>' on column '<name>' is not <Type>`.
 */
import { describe, expect, it } from "vitest";
import { compileRowValidator, decimalText, escapeLoneSurrogates, FAIL } from "../../../shared/ingest/index.js";
import { ACCEPT, REJECT } from "./cases.js";

function validate(type: string, json: string) {
  const line = `{"x":${json}}`;
  const validator = compileRowValidator([{ name: "x", type }]);
  return { line, result: validator(JSON.parse(line), line) };
}

describe("accepted values coerce to exact outputs", () => {
  it.each(ACCEPT.map((c) => [c.type, c.json, c] as const))("%s ← %s", (_type, _json, c) => {
    const { line, result } = validate(c.type, c.json);
    if (!result.ok) throw new Error(result.quarantine.errors.join("; "));
    expect(result.row.x).toStrictEqual(c.out);
    // Forwarding the original line must mean the same value.
    if (result.passthrough) expect(JSON.stringify(JSON.parse(line).x)).toBe(JSON.stringify(c.out));
  });
});

describe("rejected values quarantine with Tinybird's message", () => {
  it.each(REJECT.map((c) => [c.type, c.json, c] as const))("%s ← %s", (_type, _json, c) => {
    const { result } = validate(c.type, c.json);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const parsed: unknown = JSON.parse(c.json);
    const raw = typeof parsed === "string" ? parsed : c.json;
    const message = `value '${c.raw ?? raw}' on column 'x' is not ${c.type}`;
    expect(result.quarantine.errorColumns).toEqual(["x"]);
    // Lone surrogates are spelled as escapes once the row is built (buildQuarantineRow).
    expect(result.quarantine.errors.map(escapeLoneSurrogates)).toEqual([c.because ? `${message}: ${c.because}` : message]);
    expect(escapeLoneSurrogates(result.quarantine.values.x!)).toEqual(c.raw ?? raw);
  });
});

describe("decimalText", () => {
  it.each([
    ["0", 5, 2, "0.00"], ["-0", 5, 2, "0.00"], [".5", 5, 2, "0.50"], ["5.", 5, 2, "5.00"], ["1.5e-3", 9, 4, "0.0015"],
    ["1.5E+3", 9, 0, "1500"], ["999.999", 5, 2, "999.99"], ["-999.999", 5, 2, "-999.99"], ["00012.5", 5, 2, "12.50"],
  ] as const)("%s at (%d, %d) → %s", (text, p, s, out) => {
    expect(decimalText(text, p, s)).toBe(out);
  });
  it.each([["1000", 5, 2], ["", 5, 2], ["e5", 5, 2], ["1e", 5, 2], ["--1", 5, 2]] as const)("%s at (%d, %d) fails", (text, p, s) => {
    expect(decimalText(text, p, s)).toBe(FAIL);
  });
});
