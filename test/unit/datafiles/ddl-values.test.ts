// Datafile values that Tern writes into a CREATE TABLE are parsed, never
// pasted: each is the one expression (or key list, TTL list, settings list,
// codec list, index type) its position takes, over the datasource's own
// columns, with allowed functions only. A refusal is a parse error at the
// value: file, line, column, message.
import { describe, expect, it } from "vitest";
import { parseDatafile } from "../../../shared/datafiles/index.js";
import { SCHEMA, datasource, errorsOf, lines } from "./helpers.js";

// SCHEMA (lines 1-6): id String, ts DateTime, v UInt64, sign Int8, deleted UInt8. Directives start on line 7.
const refused = (...directives: string[]) => errorsOf("ds.datasource", lines(SCHEMA, ...directives));
/** Every error of a file that may parse: [] when it does. */
const problems = (text: string): string[] => {
  const result = parseDatafile({ path: "ds.datasource", text });
  return result.ok ? [] : result.errors.map((e) => e.message);
};

describe("engine values Tinybird users write are accepted", () => {
  const cases: [string, string[]][] = [
    ["a TTL with INTERVAL", ['ENGINE_TTL "ts + INTERVAL 90 DAY"']],
    ["a TTL with toIntervalDay", ["ENGINE_TTL ts + toIntervalDay(180)"]],
    ["a TTL with DELETE", ["ENGINE_TTL toDateTime(ts) + INTERVAL 90 DAY DELETE"]],
    ["a TTL with DELETE WHERE", ["ENGINE_TTL ts + INTERVAL 1 DAY DELETE WHERE v = 0"]],
    ["TTL elements moving to a volume and a disk", ["ENGINE_TTL ts + INTERVAL 1 MONTH TO VOLUME 'cold', ts + INTERVAL 1 YEAR TO DISK 'archive'"]],
    ["a TTL that recompresses", ["ENGINE_TTL ts + INTERVAL 1 WEEK RECOMPRESS CODEC(ZSTD(12))"]],
    ["a TTL that rolls up", ["ENGINE_TTL ts + INTERVAL 1 DAY GROUP BY id SET v = max(v), sign = any(sign)"]],
    ["a TTL block over several lines", ["ENGINE_TTL >", "    ts + INTERVAL 1 DAY DELETE WHERE deleted = 1,", "    ts + INTERVAL 30 DAY DELETE"]],
    ["a sorting key list", ['ENGINE_SORTING_KEY "id, ts"']],
    ["a sorting key tuple", ["ENGINE_SORTING_KEY (id, toStartOfHour(ts))"]],
    ["tuple() as sorting key", ["ENGINE_SORTING_KEY tuple()"]],
    ["a partition key", ["ENGINE_PARTITION_KEY toYYYYMM(ts)"]],
    ["a partition key tuple", ["ENGINE_PARTITION_KEY (toYYYYMM(ts), sign)"]],
    ["a primary key prefix", ["ENGINE_SORTING_KEY id, cityHash64(id), ts", "ENGINE_PRIMARY_KEY id, cityHash64(id)"]],
    ["a sampling key", ["ENGINE_SORTING_KEY id, cityHash64(id)", "ENGINE_SAMPLING_KEY cityHash64(id)"]],
    ["settings", ['ENGINE_SETTINGS "index_granularity=8192, ttl_only_drop_parts=1"']],
    ["a storage policy", ["ENGINE_SETTINGS index_granularity = 4096, storage_policy = 'hot'"]],
    ["backticked columns in a key", ["ENGINE_SORTING_KEY `id`, `ts`"]],
    ["a subcolumn-free expression with a lambda", ["ENGINE_SORTING_KEY arrayStringConcat(arrayMap(x -> upper(x), [id]))"]],
  ];
  for (const [what, directives] of cases) {
    it(`accepts ${what}`, () => {
      expect(problems(lines(SCHEMA, ...directives))).toEqual([]);
    });
  }
});

describe("column values users write are accepted", () => {
  const cases: [string, string][] = [
    ["DEFAULT now()", "`c` DateTime DEFAULT now()"],
    ["DEFAULT ''", "`c` String DEFAULT ''"],
    ["DEFAULT []", "`c` Array(String) DEFAULT []"],
    ["a negative DEFAULT", "`c` Int32 DEFAULT -1"],
    ["DEFAULT CAST", "`c` LowCardinality(String) DEFAULT CAST('x', 'LowCardinality(String)')"],
    ["DEFAULT from another column", "`c` String DEFAULT JSONExtractString(id, 'name')"],
    ["DEFAULT with CASE", "`c` String DEFAULT CASE WHEN v > 10 THEN 'big' ELSE 'small' END"],
    ["DEFAULT with a UUID", "`c` UUID DEFAULT generateUUIDv4()"],
    ["CODEC(Delta, ZSTD(1))", "`c` DateTime CODEC(Delta, ZSTD(1))"],
    ["CODEC(DoubleDelta, LZ4)", "`c` DateTime64(3) CODEC(DoubleDelta, LZ4)"],
    ["CODEC(Gorilla)", "`c` Float64 CODEC(Gorilla)"],
    ["CODEC(T64, LZ4HC(9))", "`c` UInt32 CODEC(T64, LZ4HC(9))"],
    ["an AggregateFunction type with parameters", "`c` AggregateFunction(quantiles(0.5, 0.9), Float64)"],
    ["a SimpleAggregateFunction type", "`c` SimpleAggregateFunction(sum, UInt64)"],
    ["a Tuple with a quoted element name", "`c` Tuple(`first name` String, n UInt8)"],
  ];
  for (const [what, column] of cases) {
    it(`accepts ${what}`, () => {
      const ds = datasource(lines("SCHEMA >", "    `id` String,", "    `ts` DateTime,", "    `v` UInt64,", `    ${column}`));
      expect(ds.columns.map((c) => c.name)).toEqual(["id", "ts", "v", "c"]);
    });
  }

  it("prints a quoted Tuple element name back-quoted in the type", () => {
    const ds = datasource(lines("SCHEMA >", "    `c` Tuple(`first name` String, n UInt8)"));
    expect(ds.columns[0]!.type).toBe("Tuple(`first name` String, n UInt8)");
  });
});

describe("indexes users write are accepted", () => {
  it("accepts bloom_filter, minmax, set, tokenbf_v1 and ngrambf_v1 over expressions", () => {
    const ds = datasource(lines(SCHEMA, "INDEXES >",
      "    idx_id id TYPE bloom_filter(0.01) GRANULARITY 1",
      "    idx_v v TYPE minmax GRANULARITY 1",
      "    idx_sign sign TYPE set(100) GRANULARITY 4",
      "    idx_lower lower(id) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 4",
      "    idx_ngram id TYPE ngrambf_v1(3, 256, 2, 0) GRANULARITY 1"));
    expect(ds.indexes.map((i) => i.name)).toEqual(["idx_id", "idx_v", "idx_sign", "idx_lower", "idx_ngram"]);
  });
});

describe("engine values that are not one expression over the datasource's columns are refused at the value", () => {
  const cases: [string, string[], [number, number, string][]][] = [
    ["a second statement after the TTL", ['ENGINE_TTL "ts + INTERVAL 1 DAY; DROP TABLE other_ws.events"'],
      [[7, 12, "ENGINE_TTL: `;` is not allowed: a DDL value is one expression, not a statement"]]],
    ["a second statement after the sorting key", ["ENGINE_SORTING_KEY id; DROP TABLE t"],
      [[7, 20, "ENGINE_SORTING_KEY: `;` is not allowed: a DDL value is one expression, not a statement"]]],
    ["a subquery in the TTL", ["ENGINE_TTL ts + INTERVAL (SELECT count() FROM other_ws.t) DAY"],
      [[7, 12, "ENGINE_TTL: subqueries are not allowed in a DDL value"]]],
    ["a subquery in the partition key", ["ENGINE_PARTITION_KEY (SELECT 1)"],
      [[7, 22, "ENGINE_PARTITION_KEY: subqueries are not allowed in a DDL value"]]],
    ["file() in the sorting key", ["ENGINE_SORTING_KEY id, file('/etc/passwd')"],
      [[7, 20, "ENGINE_SORTING_KEY: function `file` is not allowed: it reads files on the ClickHouse host"]]],
    ["dictGet in the partition key", ["ENGINE_PARTITION_KEY dictGet('other_ws.d', 'x', id)"],
      [[7, 22, "ENGINE_PARTITION_KEY: function `dictGet` is not allowed"]]],
    ["hasColumnInTable in the TTL", ["ENGINE_TTL ts + toIntervalDay(hasColumnInTable('other_ws', 't', 'c'))"],
      [[7, 12, "ENGINE_TTL: function `hasColumnInTable` is not allowed: it reads another table's schema"]]],
    ["joinGet in the sampling key", ["ENGINE_SORTING_KEY id, v", "ENGINE_SAMPLING_KEY joinGet('other_ws.j', 'v', id)"],
      [[8, 21, "ENGINE_SAMPLING_KEY: function `joinGet` is not allowed in a table definition: it reads another table"]]],
    ["a column of another table", ["ENGINE_SORTING_KEY id, other_ws.t.secret"],
      [[7, 20, "ENGINE_SORTING_KEY: `other_ws.t.secret` is not a column of this datasource"]]],
    ["IN another table", ["ENGINE_TTL ts + INTERVAL 1 DAY DELETE WHERE id IN other_ws.allowed"],
      [[7, 12, "ENGINE_TTL: `IN <name>` reads a table or a set; list the values in parentheses instead"]]],
    ["SETTINGS smuggled into the TTL", ["ENGINE_TTL ts + INTERVAL 1 DAY SETTINGS disk = disk(type = local, path = '/')"],
      [[7, 12, "ENGINE_TTL: SETTINGS is not allowed in a DDL value; table settings go in ENGINE_SETTINGS"]]],
    ["a disk defined in ENGINE_SETTINGS", ["ENGINE_SETTINGS disk = disk(type = local, path = '/var/lib/clickhouse/')"],
      [[7, 17, "ENGINE_SETTINGS: `disk` is not a MergeTree setting a datasource may change (docs/deployments.md lists the ones it may)"]]],
    ["a function as a setting value", ["ENGINE_SETTINGS index_granularity = toUInt32(file('/etc/hostname'))"],
      [[7, 17, "ENGINE_SETTINGS: expected a literal value (a number or a quoted string)"]]],
    ["a comment hiding the rest of the line", ["ENGINE_SORTING_KEY id --, ts"],
      [[7, 20, "ENGINE_SORTING_KEY: comments are not allowed in a DDL value"]]],
    ["a block comment", ["ENGINE_SORTING_KEY id /* ) ENGINE = Log */"],
      [[7, 20, "ENGINE_SORTING_KEY: comments are not allowed in a DDL value"]]],
    ["a heredoc", ["ENGINE_PARTITION_KEY $x$;DROP TABLE t$x$"],
      [[7, 22, "ENGINE_PARTITION_KEY: heredoc strings ($$…$$) are not allowed in a DDL value"]]],
    ["an unbalanced bracket closing the clause early", ["ENGINE_PARTITION_KEY toYYYYMM(ts)) ENGINE = Log AS SELECT * FROM other_ws.t --"],
      [[7, 22, "ENGINE_PARTITION_KEY: unbalanced brackets: `)` does not close anything"]]],
    ["an unterminated string", ["ENGINE_TTL >", "    ts + INTERVAL 1 DAY DELETE WHERE id = 'x"],
      [[8, 1, "ENGINE_TTL: single quoted string is not closed"]]],
    ["two expressions side by side", ["ENGINE_SAMPLING_KEY cityHash64(id) ts"],
      [[7, 21, "ENGINE_SAMPLING_KEY: expected one expression; `ts` follows it"]]],
    ["a table behind a Unicode space", ["ENGINE_SORTING_KEY id\u00a0FROM\u00a0other_ws.t"],
      [[7, 20, "ENGINE_SORTING_KEY: tables are not allowed in a DDL value"]]],
    ["another table in curly quotes", ["ENGINE_SORTING_KEY \u201cother_ws\u201d.\u201ct\u201d"],
      [[7, 20, "ENGINE_SORTING_KEY: `other_ws.t` is not a column of this datasource"]]],
    ["a query parameter", ["ENGINE_SORTING_KEY {p:String}"],
      [[7, 20, "ENGINE_SORTING_KEY: query parameters ({name:Type}) are not allowed in a DDL value"]]],
    ["sleep in a key", ["ENGINE_PARTITION_KEY sleep(3)"],
      [[7, 22, "ENGINE_PARTITION_KEY: function `sleep` is not allowed in a table definition: it stalls every insert and merge of the table"]]],
    ["a TTL moving to a disk named by an expression", ["ENGINE_TTL ts + INTERVAL 1 DAY TO DISK concat('a', 'b')"],
      [[7, 12, "ENGINE_TTL: expected the disk or volume name as a quoted string"]]],
    ["a TTL SET reading a file", ["ENGINE_TTL ts + INTERVAL 1 DAY GROUP BY id SET v = length(file('/etc/passwd'))"],
      [[7, 12, "ENGINE_TTL: function `file` is not allowed: it reads files on the ClickHouse host"]]],
  ];
  for (const [what, directives, expected] of cases) {
    it(`refuses ${what}`, () => {
      expect(refused(...directives)).toEqual(expected);
    });
  }
});

describe("column and index values are refused at the column or index", () => {
  const schema = (...columns: string[]) => errorsOf("ds.datasource", lines("SCHEMA >", "    `id` String,", "    `ts` DateTime,", ...columns));
  const cases: [string, string[], [number, number, string][]][] = [
    ["a DEFAULT with a second statement", ["    `c` String DEFAULT 'x'; DROP TABLE other_ws.t"],
      [[4, 24, "DEFAULT of column `c`: `;` is not allowed: a DDL value is one expression, not a statement"]]],
    ["a DEFAULT that reads a file", ["    `c` String DEFAULT file('/proc/self/environ')"],
      [[4, 24, "DEFAULT of column `c`: function `file` is not allowed: it reads files on the ClickHouse host"]]],
    ["a DEFAULT with a subquery", ["    `c` UInt64 DEFAULT (SELECT count() FROM other_ws.events)"],
      [[4, 24, "DEFAULT of column `c`: subqueries are not allowed in a DDL value"]]],
    ["a DEFAULT reading a dictionary", ["    `c` String DEFAULT dictGetString('other_ws.users', 'email', toUInt64(1))"],
      [[4, 24, "DEFAULT of column `c`: function `dictGetString` is not allowed"]]],
    ["a DEFAULT naming a column the datasource does not have", ["    `c` String DEFAULT secret"],
      [[4, 24, "DEFAULT of column `c`: `secret` is not a column of this datasource"]]],
    ["a DEFAULT smuggling another column definition", ["    `c` String DEFAULT 'x' COMMENT 'y'"],
      [[4, 24, "DEFAULT of column `c`: expected one expression; `COMMENT` follows it"]]],
    ["an encryption codec", ["    `c` String CODEC(AES_128_GCM_SIV)"],
      [[4, 16, "CODEC of column `c`: unknown codec `AES_128_GCM_SIV`; expected one of NONE, LZ4, LZ4HC, ZSTD, Delta, DoubleDelta, Gorilla, FPC, T64, GCD"]]],
    ["a codec with an expression argument", ["    `c` String CODEC(ZSTD(length(file('/etc/passwd'))))"],
      [[4, 16, "CODEC of column `c`: expected a literal value (a number or a quoted string)"]]],
    ["an AggregateFunction type naming a refused function", ["    `c` AggregateFunction(joinGet, String)"],
      [[4, 5, "type of column `c`: function `joinGet` is not allowed in a table definition: it reads another table"]]],
  ];
  for (const [what, columns, expected] of cases) {
    it(`refuses ${what}`, () => {
      expect(schema(...columns)).toEqual(expected);
    });
  }

  const indexCases: [string, string, [number, number, string][]][] = [
    ["an index expression with a subquery", "    idx (SELECT 1) TYPE minmax GRANULARITY 1",
      [[8, 5, "index `idx`: subqueries are not allowed in a DDL value"]]],
    ["an index expression reading a file", "    idx file('/etc/passwd') TYPE minmax GRANULARITY 1",
      [[8, 5, "index `idx`: function `file` is not allowed: it reads files on the ClickHouse host"]]],
    ["an index over another table's column", "    idx other_ws.t.c TYPE minmax GRANULARITY 1",
      [[8, 5, "index `idx`: `other_ws.t.c` is not a column of this datasource"]]],
    ["an index type ClickHouse does not offer here", "    idx id TYPE hypothesis GRANULARITY 1",
      [[8, 5, "TYPE of index `idx`: unknown index type `hypothesis`; expected one of minmax, set, bloom_filter, ngrambf_v1, tokenbf_v1, text"]]],
    ["an index type with an expression argument", "    idx id TYPE bloom_filter(rand()) GRANULARITY 1",
      [[8, 5, "TYPE of index `idx`: expected a literal value (a number or a quoted string)"]]],
  ];
  for (const [what, line, expected] of indexCases) {
    it(`refuses ${what}`, () => {
      expect(refused("INDEXES >", line)).toEqual(expected);
    });
  }
});

describe("FORWARD_QUERY", () => {
  it("accepts a SELECT list over the previous version's columns", () => {
    expect(datasource(lines(SCHEMA, "FORWARD_QUERY >", "    SELECT id, ts, toUInt64(v) AS v, sign, deleted")).forwardQuery).toBe("SELECT id, ts, toUInt64(v) AS v, sign, deleted");
  });

  it("accepts * with EXCEPT and a new column", () => {
    expect(datasource(lines(SCHEMA, "FORWARD_QUERY >", "    SELECT * EXCEPT (deleted), 0 AS deleted")).forwardQuery).toBe("SELECT * EXCEPT (deleted), 0 AS deleted");
  });

  it("refuses a FROM that reads another table", () => {
    expect(refused("FORWARD_QUERY >", "    SELECT id, ts, v, sign, deleted FROM other_ws.events")).toEqual([
      [8, 1, "FORWARD_QUERY: tables are not allowed in a DDL value"],
    ]);
  });

  it("refuses a subquery", () => {
    expect(refused("FORWARD_QUERY >", "    SELECT id, ts, (SELECT max(v) FROM other_ws.t) AS v, sign, deleted")).toEqual([
      [8, 1, "FORWARD_QUERY: subqueries are not allowed in a DDL value"],
    ]);
  });

  it("refuses a second statement", () => {
    expect(refused("FORWARD_QUERY >", "    SELECT id, ts, v, sign, deleted; DROP TABLE other_ws.t")).toEqual([
      [8, 1, "FORWARD_QUERY: `;` is not allowed: a DDL value is one expression, not a statement"],
    ]);
  });
});

describe("names", () => {
  it("refuses a column name with a line break", () => {
    expect(errorsOf("ds.datasource", lines("SCHEMA >", "    `a", "b` String"))).toEqual([
      [2, 5, "column names with control characters or line breaks are not allowed"],
    ]);
  });

  it("does not report a column the SCHEMA could not read a second time", () => {
    expect(errorsOf("ds.datasource", lines("SCHEMA >", "    `a` Strng,", "    `b` String", "ENGINE_SORTING_KEY a, b"))).toEqual([
      [2, 9, "invalid type for column `a`: unknown type `Strng`"],
    ]);
  });
});

describe("every Unicode space ClickHouse's lexer skips is a space to the check too", () => {
  // The list shared/sql/rewrite/tokenize.ts probed on the engine (SELECT<c>1 parses for exactly these).
  const spaces = [
    "\u0085", "\u00a0", "\u180e", "\u2000", "\u2001", "\u2002", "\u2003", "\u2004", "\u2005", "\u2006", "\u2007", "\u2008",
    "\u2009", "\u200a", "\u200b", "\u200c", "\u200d", "\u2028", "\u2029", "\u202f", "\u205f", "\u2060", "\u3000", "\ufeff",
  ];
  for (const sp of spaces) {
    const code = `U+${sp.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
    it(`refuses a subquery spaced with ${code}`, () => {
      expect(refused(`ENGINE_SORTING_KEY id,${sp}(SELECT${sp}secret${sp}FROM${sp}other_ws.t)`)).toEqual([
        [7, 20, "ENGINE_SORTING_KEY: subqueries are not allowed in a DDL value"],
      ]);
    });
    it(`refuses a table after a column, spaced with ${code}`, () => {
      expect(refused(`ENGINE_PARTITION_KEY id${sp}FROM${sp}other_ws.t`)).toEqual([
        [7, 22, "ENGINE_PARTITION_KEY: tables are not allowed in a DDL value"],
      ]);
    });
  }
});

describe("template references", () => {
  it("refuses a tb_secret() reference left in a TTL, with what to do instead", () => {
    expect(refused("ENGINE_TTL ts + INTERVAL {{ tb_var('TTL_DAYS', 30) }} DAY")).toEqual([
      [7, 12, "ENGINE_TTL: `{{ … }}` and `${…}` references are not substituted into DDL; write the value itself"],
    ]);
  });

  it("checks the substituted value when the values are given", () => {
    expect(datasource(lines(SCHEMA, "ENGINE_TTL ts + INTERVAL ${TTL_DAYS} DAY"), { env: { TTL_DAYS: "30" } }).engine).toEqual({ type: "MergeTree", ttl: "ts + INTERVAL 30 DAY" });
  });
});
