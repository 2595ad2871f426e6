// EXPORT_FILE_TEMPLATE: Tinybird's placeholders read once (syntax, at tern
// check and deploy) and checked against the sink's result at run time.
import { describe, expect, it } from "vitest";
import { parseFileTemplate, planFileNames, type TemplatePart } from "../../../shared/sinks/file-template.js";

function parts(template: string): TemplatePart[] {
  const r = parseFileTemplate(template);
  if (!r.ok) throw new Error(r.message);
  return r.parts;
}

const columns = [
  { name: "customer_id", type: "String" },
  { name: "timestamp", type: "DateTime('UTC')" },
  { name: "day", type: "Nullable(Date)" },
  { name: "n", type: "UInt64" },
];
const at = new Date("2026-03-04T05:06:07Z");

describe("parseFileTemplate", () => {
  it.each([
    ["events_{date}", [{ kind: "text", text: "events_" }, { kind: "value", name: "date" }]],
    ["exports/{customer_id}/metrics_{date}.parquet", [
      { kind: "text", text: "exports/" }, { kind: "value", name: "customer_id" }, { kind: "text", text: "/metrics_" },
      { kind: "value", name: "date" }, { kind: "text", text: ".parquet" },
    ]],
    ["data/{timestamp, '%Y/%m/%d'}/hourly_{ timestamp , \"%H\" }.json", [
      { kind: "text", text: "data/" }, { kind: "value", name: "timestamp", format: "%Y/%m/%d" }, { kind: "text", text: "/hourly_" },
      { kind: "value", name: "timestamp", format: "%H" }, { kind: "text", text: ".json" },
    ]],
    ["bulk_export/part_{8}.csv", [{ kind: "text", text: "bulk_export/part_" }, { kind: "split", files: 8 }, { kind: "text", text: ".csv" }]],
    ["year={day, '%Y'}/all", [{ kind: "text", text: "year=" }, { kind: "value", name: "day", format: "%Y" }, { kind: "text", text: "/all" }]],
  ])("reads %s", (template, expected) => {
    expect(parts(template)).toEqual(expected);
  });

  it.each([
    ["", "the template is empty"],
    ["a_{date", "is not closed"],
    ["a}", "closes no placeholder"],
    ["a_{0}", "1 to 1000 files"],
    ["a_{1001}", "1 to 1000 files"],
    ["a_{1}_{2}", "only one {N}"],
    ["a_{not a name}", "is not a placeholder"],
    ["a b_{date}", "letters, digits and . _ - / = only"],
    ["a*_{date}", "letters, digits and . _ - / = only"],
    ["/abs_{date}", "may not start with /"],
    ["x/../y", ". or .. segments"],
    ["a_{ts, '%Y %m'}", "formatDateTime specifiers"],
    ["a_{ts, '%Y'", "is not closed"],
  ])("refuses %j (%s)", (template, message) => {
    const r = parseFileTemplate(template);
    expect(r.ok).toBe(false);
    expect(r.ok ? "" : r.message).toContain(message);
  });
});

describe("planFileNames", () => {
  it("a template without row values is one file, the run's {date} and {datetime} filled in", () => {
    expect(planFileNames(parts("daily/{date}_{datetime}"), columns, at)).toEqual({
      ok: true, names: { kind: "one", name: "daily/2026-03-04_2026-03-04T05-06-07" },
    });
  });

  it("a result column named like a run token wins over it", () => {
    const r = planFileNames(parts("x_{date}"), [{ name: "date", type: "Date" }], at);
    expect(r).toEqual({ ok: true, names: { kind: "per_row", expression: "concat('x_', replaceRegexpAll(ifNull(toString(`date`), 'null'), '[^A-Za-z0-9._=-]', '_'))" } });
  });

  it("columns, formats and a split make one name expression", () => {
    const r = planFileNames(parts("exports/{customer_id}/{timestamp, '%Y/%m'}_{4}"), columns, at);
    expect(r).toEqual({
      ok: true,
      names: {
        kind: "per_row",
        expression:
          "concat('exports/', replaceRegexpAll(ifNull(toString(`customer_id`), 'null'), '[^A-Za-z0-9._=-]', '_'), '/', " +
          "ifNull(formatDateTime(`timestamp`, '%Y/%m'), 'null'), '_', toString(cityHash64(`customer_id`, `timestamp`, `day`, `n`) % 4))",
      },
    });
  });

  it("a placeholder that names no column says which columns there are", () => {
    expect(planFileNames(parts("x_{customer}"), columns, at)).toEqual({
      ok: false, message: "EXPORT_FILE_TEMPLATE: {customer} names no column of the sink's result (its columns: customer_id, timestamp, day, n)",
    });
  });

  it("a format needs a Date or DateTime column (Nullable and LowCardinality looked through)", () => {
    expect(planFileNames(parts("{day, '%Y'}"), columns, at).ok).toBe(true);
    expect(planFileNames(parts("{n, '%Y'}"), columns, at)).toEqual({
      ok: false, message: "{n, '%Y'}: `n` is UInt64; a format needs a Date or DateTime column",
    });
  });
});
