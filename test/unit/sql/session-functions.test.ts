// The session function calls found (and only those) on canonical SQL, for session-functions.ts.
import { describe, expect, it } from "vitest";
import { findSessionCalls, replaceSessionCalls } from "../../../shared/sql/rewrite/index.js";

const answer = (sql: string) => replaceSessionCalls(sql, findSessionCalls(sql), (c) => (c.fn === "setting" ? `<${c.setting}>` : `<${c.fn}>`));

describe("findSessionCalls", () => {
  it("replaces the exact call shapes, any case, quoted names too", () => {
    expect(answer("SELECT currentDatabase(), DATABASE(), `currentUser`(), user(), uptime(), getSetting('readonly')")).toBe(
      "SELECT <database>, <database>, <user>, <user>, <uptime>, <readonly>",
    );
    expect(answer("SELECT name FROM system.tables WHERE database = currentDatabase() AND user = 'x'")).toBe("SELECT name FROM system.tables WHERE database = <database> AND user = 'x'");
  });

  it("leaves every other shape for the read guard", () => {
    for (const sql of [
      "SELECT getSetting(concat('read', 'only'))",
      "SELECT getSetting('a', 'b')",
      "SELECT getSettingOrDefault('readonly', 0)",
      "SELECT currentUser(1)",
      "SELECT t.user() FROM t",
      "SELECT user FROM t",
      "SELECT 'currentUser()'",
      "SELECT getSetting({name:String})",
    ]) {
      expect(answer(sql), sql).toBe(sql);
    }
  });

  it("finds nothing in SQL that does not tokenize", () => {
    expect(findSessionCalls("SELECT currentUser(), 'unterminated")).toEqual([]);
  });
});
