import { describe, expect, it } from "vitest";
import { tokenize } from "../../../shared/sql/rewrite/tokenize.js";

/** `kind:text` of every non-whitespace token. */
function lex(sql: string): string[] {
  return tokenize(sql)
    .tokens.filter((t) => t.kind !== "whitespace")
    .map((t) => `${t.kind}:${t.text}`);
}

describe("tokenize: token kinds", () => {
  const cases: [string, string, string[]][] = [
    ["bare identifiers and keywords", "SELECT a_1 FROM t", ["identifier:SELECT", "identifier:a_1", "identifier:FROM", "identifier:t"]],
    ["$ inside identifiers", "a$b $x", ["identifier:a$b", "identifier:$x"]],
    ["backtick identifier", "`my table`", ["quoted_identifier:`my table`"]],
    ["double-quoted identifier", '"FROM"', ['quoted_identifier:"FROM"']],
    ["doubled quote in identifier", '"a""b"', ['quoted_identifier:"a""b"']],
    ["string with doubled quote", "'it''s'", ["string:'it''s'"]],
    ["string with backslash quote", "'it\\'s'", ["string:'it\\'s'"]],
    ["string ending in escaped backslash", "'a\\\\' x", ["string:'a\\\\'", "identifier:x"]],
    ["heredoc", "$$a 'b' -- c$$", ["heredoc:$$a 'b' -- c$$"]],
    ["tagged heredoc containing $$", "$t$x$$y$t$", ["heredoc:$t$x$$y$t$"]],
    ["unclosed heredoc tag is an identifier", "$x$ y", ["identifier:$x$", "identifier:y"]],
    ["integers, floats, exponents", "1 1.5 .5 1e3 1.5e-3 1E+2", ["number:1", "number:1.5", "number:.5", "number:1e3", "number:1.5e-3", "number:1E+2"]],
    ["hex, binary, underscores", "0x1F 0b101 1_000 0x1p4", ["number:0x1F", "number:0b101", "number:1_000", "number:0x1p4"]],
    ["tuple element access is not a number", "t.1", ["identifier:t", "punctuation:.", "number:1"]],
    ["multi-char operators", "a<=>b->c::d||e<=f>=g!=h<>i==j", [
      "identifier:a", "operator:<=>", "identifier:b", "operator:->", "identifier:c", "operator:::", "identifier:d",
      "operator:||", "identifier:e", "operator:<=", "identifier:f", "operator:>=", "identifier:g", "operator:!=",
      "identifier:h", "operator:<>", "identifier:i", "operator:==", "identifier:j"]],
    ["punctuation", "f(a, b[1]);", [
      "identifier:f", "punctuation:(", "identifier:a", "punctuation:,", "identifier:b", "punctuation:[",
      "number:1", "punctuation:]", "punctuation:)", "punctuation:;"]],
    ["query parameter", "x = {id:UInt32}", ["identifier:x", "operator:=", "param:{id:UInt32}"]],
    ["query parameter with nested type", "{m:Map(String, Array(UInt8))}", ["param:{m:Map(String, Array(UInt8))}"]],
    ["map literal is not a parameter", "{'a': 1}", ["punctuation:{", "string:'a'", "operator::", "number:1", "punctuation:}"]],
    ["non-ASCII outside quotes is unknown", "ñ", ["unknown:ñ"]],
  ];
  for (const [name, sql, expected] of cases) {
    it(name, () => expect(lex(sql)).toEqual(expected));
  }
});

describe("tokenize: comments", () => {
  const cases: [string, string, string[]][] = [
    ["-- line comment", "a -- FROM t\nb", ["identifier:a", "comment:-- FROM t", "identifier:b"]],
    ["-- without a space", "a --x", ["identifier:a", "comment:--x"]],
    ["// line comment", "a // x\nb", ["identifier:a", "comment:// x", "identifier:b"]],
    ["# followed by a space", "a # x\nb", ["identifier:a", "comment:# x", "identifier:b"]],
    ["#! shebang-style", "#!x\na", ["comment:#!x", "identifier:a"]],
    ["bare # is not a comment", "#x", ["unknown:#", "identifier:x"]],
    ["block comment", "a /* b */ c", ["identifier:a", "comment:/* b */", "identifier:c"]],
    ["nested block comments", "a /* x /* y */ z */ c", ["identifier:a", "comment:/* x /* y */ z */", "identifier:c"]],
    ["comment markers inside strings", "'-- /* #'", ["string:'-- /* #'"]],
    ["quotes inside comments", "/* ' */ a", ["comment:/* ' */", "identifier:a"]],
  ];
  for (const [name, sql, expected] of cases) {
    it(name, () => expect(lex(sql)).toEqual(expected));
  }
});

describe("tokenize: values and positions", () => {
  it("unescapes string values", () => {
    expect(tokenize("'a''b\\'c\\n'").tokens[0]!.value).toBe("a'b'c\n");
  });
  it("unescapes quoted identifier values", () => {
    expect(tokenize("`a``b`").tokens[0]!.value).toBe("a`b");
  });
  it("gives heredoc bodies raw", () => {
    expect(tokenize("$q$a\\nb$q$").tokens[0]!.value).toBe("a\\nb");
  });
  it("positions reconstruct the input exactly", () => {
    const sql = "SELECT\t`a b`, 'x''y' -- c\n/* d */ FROM db.t WHERE z = {p:String};";
    const { tokens } = tokenize(sql);
    expect(tokens.map((t) => t.text).join("")).toBe(sql);
    for (const t of tokens) expect(sql.slice(t.start, t.end)).toBe(t.text);
  });
  it("handles CRLF and odd whitespace", () => {
    expect(lex("SELECT\r\n\f\va\u000bFROM\tt")).toEqual(["identifier:SELECT", "identifier:a", "identifier:FROM", "identifier:t"]);
  });
  it("empty input has no tokens", () => {
    expect(tokenize("")).toEqual({ tokens: [] });
  });
});

describe("tokenize: errors are values", () => {
  const cases: [string, string, string, number][] = [
    ["unterminated string", "SELECT 'abc", "Single quoted string is not closed", 7],
    ["unterminated string ending in backslash", "SELECT 'abc\\", "Single quoted string is not closed", 7],
    ["unterminated backtick identifier", "SELECT `a", "Backquoted identifier is not closed", 7],
    ["unterminated double-quoted identifier", 'SELECT "a', "Double quoted identifier is not closed", 7],
    ["unterminated block comment", "SELECT 1 /* x", "Multiline comment is not closed", 9],
    ["unterminated nested block comment", "SELECT 1 /* x /* y */", "Multiline comment is not closed", 9],
  ];
  for (const [name, sql, message, position] of cases) {
    it(name, () => {
      const result = tokenize(sql);
      expect(result.error).toEqual({ message, position });
      expect(result.tokens.at(-1)).toMatchObject({ kind: "error", start: position, end: sql.length });
    });
  }
  it("never throws on arbitrary bytes", () => {
    const odd = ["\u0000", "'", "\\", "{", "{a:", "$", "$$", "0x", "1e", "/*/", "`", "\uD800", "…", "#"];
    for (const a of odd) for (const b of odd) expect(() => tokenize(a + b + a)).not.toThrow();
  });
});
