import { describe, expect, it } from "vitest";
import { compileTemplate, render } from "../../../shared/template/index.js";
import { fail, sql } from "./helpers.js";

const S = "Template Syntax Error: ";

describe("column / columns / symbol / table", () => {
  it.each([
    ["% ORDER BY {{column(sort, 'timestamp')}}", {}, " ORDER BY `timestamp`"],
    ["% ORDER BY {{column(sort, 'timestamp')}}", { sort: "city" }, " ORDER BY `city`"],
    ["% {{column(c)}}", { c: "json.a.b" }, " `json`.`a`.`b`"],
    ["% {{column(c)}}", { c: '"foo"' }, " `foo`"],
    ["% {{column(c)}}", { c: "a`b" }, " `a\\`b`"],
    ["% {{column(c)}}", { c: "a` FROM secrets --" }, " `a\\` FROM secrets --`"],
    ["% {{column(c)}}", { c: "a\\" }, " `a\\\\`"],
    ["% {{columns(c, 'a,b,c')}}", {}, " `a`,`b`,`c`"],
    ["% {{columns(c, 'a')}}", { c: "x, y" }, " `x`,`y`"],
    ["% {{columns('a,b')}}", {}, " `a`,`b`"],
    ["% {{columns(c, 'a,b', fn='sum')}}", {}, " sum(`a`) as a,sum(`b`) as b"],
    ["% {{columns(c, 'a', fn='sum')}}", { c: "x) FROM t --" }, " sum(`x) FROM t --`) as `x) FROM t --`"],
    ["% FROM {{symbol(t)}}", { t: "table-name" }, " FROM `table-name`"],
    ["% FROM {{symbol(t)}}", { t: '"table-name"' }, " FROM `table-name`"],
    ["% {{symbol(t, '\"')}}", { t: 'a"b' }, ' "ab"'],
    ["% FROM {{table(t)}}", { t: '"table-name"' }, " FROM table-name"],
    ["% FROM {{TABLE(t)}}", { t: "db.events" }, " FROM db.events"],
  ] as const)("%s with %j", (src, params, out) => {
    expect(sql(src, params)).toBe(out);
  });

  it("column() without value or default", () => {
    expect(fail("% {{column(agg)}}")).toEqual({
      cls: "SqlTemplateError",
      status: 400,
      message: `${S}Missing column() default value, use \`column(column_name, 'default_column_name')\``,
    });
  });

  it("columns() without value or default", () => {
    expect(fail("% {{columns(agg)}}").message).toBe(
      `${S}Missing columns() default value, use \`columns(column_names, 'default_column_name')\``,
    );
  });

  it("columns() refuses an array", () => {
    expect(fail("% {{columns(c, 'a')}}", { c: ["a", "b"] }).message).toBe(`${S}The 'columns' function expects a String not an Array`);
  });

  it("table() refuses characters that would leave the name", () => {
    expect(fail("% FROM {{table(t)}}", { t: "t UNION ALL SELECT 1" }).message).toBe(`${S}Invalid table name: 't UNION ALL SELECT 1'`);
  });

  it("symbol() refuses an unsafe quote", () => {
    expect(fail("% {{symbol(t, '')}}", { t: "x" }).message).toBe(`${S}Invalid quote for symbol(): ''`);
  });
});

describe("defined / sql_and / split_to_array / enumerate_with_last", () => {
  it.each([
    ["% {{sql_and(a=a, b=b)}}", { a: "1", b: "2" }, " a = '1' and b = '2'"],
    ["% {{sql_and(a=a, b=b)}}", { b: "2" }, " b = '2'"],
    ["% {{sql_and(a=Int(a, defined=False), b=Int(b, defined=False))}}", { b: "2" }, " b = 2"],
    ["% {{sql_and(a__in=Array(a), b=b)}}", { a: "a,b,c", b: "2" }, " a in ['a','b','c'] and b = '2'"],
    ["% {{sql_and(a__not_in=Array(a), b=b)}}", { a: "a,b,c", b: "2" }, " a not in ['a','b','c'] and b = '2'"],
    ["% {{sql_and(n__gt=Int32(n), m__lte=Float32(m))}}", { n: "1", m: "2" }, " n > toInt32('1') and m <= toFloat32('2.0')"],
    ["% {{sql_and(d__gte=Date(d), d__lt=Date(e))}}", { d: "2025-01-01", e: "2025-02-01" }, " d >= '2025-01-01' and d < '2025-02-01'"],
    ["% {{sql_and(a=a)}}", {}, " "],
    ["% {% for x in split_to_array(s, separator='|') %}{{x}};{% end %}", { s: "a | b|c" }, " 'a';'b';'c';"],
    ["% {{split_to_array(s, 'x,y')}}", {}, " ['x', 'y']"],
    ["% {{split_to_array(s)}}", { s: "it's" }, ' ["it\'s"]'],
    ["% {{enumerate_with_last([1, 2])}}", {}, " [(False, 1), (True, 2)]"],
  ] as const)("%s with %j", (src, params, out) => {
    expect(sql(src, params)).toBe(out);
  });

  it("an unknown sql_and operand", () => {
    expect(fail("% {{sql_and(a__like=a)}}", { a: "x" }).message).toBe(`${S}operand like not supported`);
  });

  it("split_to_array of a list", () => {
    expect(fail("% {{split_to_array(s)}}", { s: ["a", "b"] }).message).toBe(
      `${S}First argument of split_to_array has to be a value that can be split to a list of elements, but found a PlaceHolder with no value instead`,
    );
  });
});

describe("dates", () => {
  it.each([
    ["day_diff('2019-01-01', '2019-01-01')", "0"],
    ["day_diff('2019-01-02', '2019-02-01')", "30"],
    ["day_diff('2019-02-01', '2019-01-02')", "30"],
    ["date_diff_in_days('2019-02-01 20:00:00', '2019-01-02 20:00:00', date_format='%Y-%m-%d %H:%M:%S')", "30"],
    ["date_diff_in_days('2019-01-01', '2019/01/04', backup_date_format='%Y/%m/%d')", "3"],
    ["date_diff_in_days('2019-02-01T20:00:00z', '2019-02-15', '%Y-%m-%dT%H:%M:%Sz', backup_date_format='%Y-%m-%d')", "13"],
    ["date_diff_in_hours('2022-12-19T20:43:22Z', '2022-12-19T18:42:23Z', '%Y-%m-%dT%H:%M:%Sz')", "2"],
    ["date_diff_in_hours('2022-12-14 18:42:22', '2022-12-19 18:42:22')", "120"],
    ["date_diff_in_hours('2022-12-19', '2022-12-19 02:01:00', backup_date_format='%Y-%m-%d')", "2"],
    ["date_diff_in_minutes('2022-12-19T03:22:12.102Z', '2022-12-19', date_format='%Y-%m-%dT%H:%M:%S.%fz', backup_date_format='%Y-%m-%d')", "202"],
    ["date_diff_in_seconds('2022-12-19 18:42:23.521', '2022-12-19 18:42:24.521', '%Y-%m-%d %H:%M:%S.%f')", "1"],
    ["date_diff_in_seconds('2022-12-19T18:42:23.521Z', '2022-12-19T18:44:23.531Z', '%Y-%m-%dT%H:%M:%S.%fz')", "120"],
    ["date_diff_in_days('2019-01-01', '2019-00-02', none_if_error=True) is None", "True"],
  ])("%s = %s", (expr, out) => {
    const src = expr.includes(" is None") ? `% {% if ${expr} %}True{% end %}` : `% {{${expr}}}`;
    expect(sql(src)).toBe(` ${out}`);
  });

  it("picks a table by range (the starter-kit pattern)", () => {
    const src =
      "% FROM {% if date_diff_in_hours(DateTime(s, '2025-01-01 00:00:00'), DateTime(e, '2025-01-01 06:00:00')) >= 10 %}mv{% else %}raw{% end %}";
    expect(sql(src, { e: "2025-01-03 00:00:00" })).toBe(" FROM mv");
  });

  it.each([
    ["day_diff('2019-01-01', 'x')", "invalid date format in function `day_diff`, it must be ISO format date YYYY-MM-DD, e.g. 2018-09-26. For other fotmats, try `date_diff_in_days`"],
    ["date_diff_in_days('2019-01-01', 'x')", "invalid date format in function `date_diff_in_days`, it must be ISO format date YYYY-MM-DD, e.g. 2018-09-26"],
    ["date_diff_in_hours('2019-01-01', 'x')", "invalid date_format in function `date_diff_in_hours`, defaults to YYYY-MM-DD hh:mm:ss. Or %Y-%m-%d %H:%M:%S [.ssssss]Z, e.g. ms: 2022-12-19T18:42:22.591Z s:2022-12-19T18:42:22Z"],
    ["date_diff_in_minutes('2019-01-01', 'x')", "invalid date_format in function `date_diff_in_seconds`, defaults to YYYY-MM-DD hh:mm:ss. Or %Y-%m-%d %H:%M:%S [.ssssss]Z, e.g. ms: 2022-12-19T18:42:22.591Z s:2022-12-19T18:42:22Z"],
    ["date_diff_in_seconds(a, b)", "invalid date_format in function `date_diff_in_seconds`, defaults to YYYY-MM-DD hh:mm:ss. Or %Y-%m-%d %H:%M:%S [.ssssss]Z, e.g. ms: 2022-12-19T18:42:22.591Z s:2022-12-19T18:42:22Z"],
    ["day_diff('2019-02-30', '2019-01-01')", "invalid date format in function `day_diff`, it must be ISO format date YYYY-MM-DD, e.g. 2018-09-26. For other fotmats, try `date_diff_in_days`"],
  ])("%s fails", (expr, detail) => {
    expect(fail(`% {{${expr}}}`).message).toBe(`${S}${detail}`);
  });
});

describe("sql_unescape", () => {
  it.each([
    [{ s: "raul_el_bueno_is_the_best_%" }, " LIKE 'raul_el_bueno_is_the_best_%'"],
    [{ s: "%it's%" }, " LIKE '%it\\'s%'"],
  ])("with %j", (params, out) => {
    expect(sql("% LIKE {{sql_unescape(String(s), '%')}}", params)).toBe(out);
  });

  it("without a char to unescape, a value with a quote would leave the literal: refused", () => {
    expect(fail("% {{sql_unescape(String(s))}}", { s: "a' OR 1=1 --" }).message).toBe(
      `${S}sql_unescape() would leave the string literal: ''`,
    );
  });

  it("without a char to unescape, a harmless value renders like Tinybird", () => {
    expect(sql("% {{sql_unescape(String(s))}}", { s: 'say "hi"' })).toBe(" 'say \"hi\"'");
  });
});

describe("errors raised by the template", () => {
  it("error() answers 400 with the message as is", () => {
    expect(fail("% {% if x not in ['a', 'b'] %}{{ error('x must be a or b') }}{% end %}", { x: "c" })).toEqual({
      cls: "TemplateUserError",
      status: 400,
      message: "x must be a or b",
    });
  });

  it("error() ignores its code", () => {
    expect(fail("% {{ error('bad', 404) }}").status).toBe(400);
  });

  it("custom_error() sets the status", () => {
    expect(fail("% {{ custom_error('not found', 404) }}")).toEqual({ cls: "TemplateCustomError", status: 404, message: "not found" });
  });

  it("custom_error() carries a dict payload", () => {
    try {
      render(compileTemplate("% {{ custom_error({'error': 'nope', 'code': 7}, 403) }}"), {});
    } catch (e) {
      expect((e as { payload: unknown }).payload).toEqual({ error: "nope", code: 7 });
      expect((e as { status: number }).status).toBe(403);
      return;
    }
    throw new Error("expected a failure");
  });

  it("error() written outside {{ }} is just text", () => {
    expect(sql('% {% if not defined(test) %}error("This is an error"){% end %}')).toBe(' error("This is an error")');
  });
});

describe("render-side metadata", () => {
  it("max_threads sets the setting and leaves a comment", () => {
    const r = render(compileTemplate("% {{max_threads(2)}} SELECT 1"), {});
    expect(r).toMatchObject({ sql: " -- max_threads 2\n SELECT 1", settings: { max_threads: 2 }, meta: { maxThreads: 2 } });
  });

  it("max_threads with a bad value only comments, without a newline from the value", () => {
    const r = render(compileTemplate("% {{max_threads(n)}}SELECT 1"), { n: "x\nDROP TABLE t" });
    expect(r.sql).toBe(" -- max_threads: wrong argument x DROP TABLE t\nSELECT 1");
    expect(r.settings).toEqual({});
  });

  it.each([
    ["% {{cache_ttl('5m')}}", " -- cache_ttl 5m\n", { cacheTtl: "5m" }],
    ["% {{backend_hint('r1')}}", " -- backend_hint r1\n", { backendHint: "r1" }],
    ["% {{activate('parallel_replicas')}}", " -- activate parallel_replicas\n", { activate: "parallel_replicas" }],
    ["% {{disable('analyzer')}}", " -- disable analyzer\n", { disable: "analyzer" }],
  ])("%s", (src, out, meta) => {
    const r = render(compileTemplate(src), {});
    expect(r.sql).toBe(out);
    expect(r.meta).toEqual(meta);
  });

  it("cache_ttl refuses other values", () => {
    expect(fail("% {{cache_ttl('2m')}}").message).toBe(
      `${S}Invalid TTL cache expression, valid expressions are ('5s', '1m', '5m', '30m', '1h')`,
    );
  });

  it("activate refuses other values", () => {
    expect(fail("% {{activate('x')}}").message).toBe(`${S}'x' is not a valid 'activate' argument`);
  });
});

describe("tb_secret / tb_var", () => {
  it("renders an available secret as a query parameter", () => {
    const r = render(compileTemplate("% WHERE k = {{tb_secret('api_key')}}"), {}, { secrets: ["api_key"] });
    expect(r.sql).toBe(" WHERE k = {api_key: String}");
    expect(r.queryParams).toEqual(["api_key"]);
  });

  it("tb_var is the same function", () => {
    expect(sql("% {{tb_var('v')}}", {}, { secrets: ["v"] })).toBe(" {v: String}");
  });

  it("uses the default when the secret is missing", () => {
    expect(sql("% {{tb_secret('test', 'default_value')}}")).toBe(" 'default_value'");
  });

  it("an empty default renders an empty string", () => {
    expect(sql("% {{tb_secret('test', '')}}")).toBe(" ''");
  });

  it("a request param with the secret's name is not the secret", () => {
    expect(fail("% {{tb_secret('test')}}", { test: "1234" }).message).toBe(
      `${S}Cannot access secret 'test'. Check the secret exists in the Workspace and the token has the required scope.`,
    );
  });

  it("check mode renders a placeholder parameter", () => {
    expect(sql("% {{tb_secret('test')}}", {}, { mode: "check" })).toBe(" {test: String}");
  });

  it("a secret parameter prefix goes before the name in the SQL, not in queryParams", () => {
    const r = render(compileTemplate("% WHERE k = {{tb_secret('api_key')}}"), {}, { secrets: ["api_key"], secretParamPrefix: "tb_secret_x1_" });
    expect([r.sql, r.queryParams]).toEqual([" WHERE k = {tb_secret_x1_api_key: String}", ["api_key"]]);
  });
});

describe("job_timestamp", () => {
  it("defaults to the injected clock", () => {
    expect(sql("% {{DateTime(job_timestamp)}}", {}, { now: () => new Date(Date.UTC(2025, 0, 31, 10, 5, 9)) })).toBe(
      " '2025-01-31 10:05:09'",
    );
  });
});
