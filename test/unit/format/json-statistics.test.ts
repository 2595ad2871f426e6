import { describe, expect, it } from "vitest";
import { jsonStatistics, TailBuffer } from "../../../shared/format/json-statistics.js";

// The closing lines of ClickHouse FORMAT JSON answers, as ClickHouse writes them.
const WITH_LIMIT = `\t],

\t"rows": 2,

\t"rows_before_limit_at_least": 25,

\t"statistics":
\t{
\t\t"elapsed": 0.00744961,
\t\t"rows_read": 57344,
\t\t"bytes_read": 1419838
\t}
}
`;
const WITHOUT_LIMIT = `\t],\n\n\t"rows": 1,\n\n\t"statistics":\n\t{\n\t\t"elapsed": 1.2e-05,\n\t\t"rows_read": 1,\n\t\t"bytes_read": 1\n\t}\n}\n`;

describe("jsonStatistics", () => {
  it("reads rows, rows_read and bytes_read after rows_before_limit_at_least", () => {
    expect(jsonStatistics(WITH_LIMIT)).toEqual({ resultRows: 2, readRows: 57344, readBytes: 1419838 });
  });

  it("reads them without rows_before_limit_at_least and with an exponent in elapsed", () => {
    expect(jsonStatistics(WITHOUT_LIMIT)).toEqual({ resultRows: 1, readRows: 1, readBytes: 1 });
  });

  it("ignores a data column named rows", () => {
    expect(jsonStatistics(`{"rows": 99, "x": 1}\n\t],\n` + WITH_LIMIT.slice(WITH_LIMIT.indexOf('\t"rows"')))).toEqual({
      resultRows: 2,
      readRows: 57344,
      readBytes: 1419838,
    });
  });

  it("finds nothing in a body that is not a complete JSON envelope", () => {
    expect(jsonStatistics('{"a":1}\n{"a":2}\n')).toBeUndefined();
    expect(jsonStatistics(WITH_LIMIT.slice(0, 60))).toBeUndefined();
  });
});

describe("TailBuffer", () => {
  const bytes = (s: string) => new TextEncoder().encode(s);

  it("keeps the last bytes across chunks of any size", () => {
    const tail = new TailBuffer(8);
    for (const chunk of ["abc", "defgh", "ij", "k"]) tail.push(bytes(chunk));
    expect(tail.text()).toBe("defghijk");
    tail.push(bytes("0123456789"));
    expect(tail.text()).toBe("23456789");
    tail.push(bytes("Z"));
    expect(tail.text()).toBe("3456789Z");
  });

  it("holds everything when less than its size arrived", () => {
    const tail = new TailBuffer(1024);
    tail.push(bytes(WITH_LIMIT));
    expect(jsonStatistics(tail.text())).toEqual({ resultRows: 2, readRows: 57344, readBytes: 1419838 });
  });
});
