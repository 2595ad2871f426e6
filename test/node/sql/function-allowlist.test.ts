/**
 * Every function the engine has is classified: allowed (generated list) or
 * refused (hand-written reasons). A function a new engine version adds is in
 * neither list, so this test names it until someone decides, and meanwhile
 * the guard refuses it.
 */
import { createClient } from "@clickhouse/client-web";
import { expect, inject, it } from "vitest";
import { ALLOWED_FUNCTIONS, ALLOWED_FUNCTIONS_ANY_CASE } from "../../../shared/sql/guard/allowed-functions.js";
import { DENIED_CATEGORIES, DENIED_FUNCTIONS } from "../../../shared/sql/guard/denied-functions.js";

interface Row {
  name: string;
  case_insensitive: number;
  alias_to: string;
  categories: string;
}

it("every function of the engine is either allowed or refused, never both", async () => {
  const client = createClient({ url: inject("clickhouseUrl"), username: inject("clickhouseUser"), password: inject("clickhousePassword") });
  const rs = await client.query({ query: "SELECT name, case_insensitive, alias_to, categories FROM system.functions", format: "JSONEachRow" });
  const rows = await rs.json<Row>();
  const byName = new Map(rows.map((r) => [r.name, r]));
  const refused = (r: Row): boolean =>
    DENIED_FUNCTIONS.has(r.name) || DENIED_CATEGORIES.has(r.categories) || (!!r.alias_to && !!byName.get(r.alias_to) && refused(byName.get(r.alias_to)!));
  const allowed = (r: Row) => (r.case_insensitive ? ALLOWED_FUNCTIONS_ANY_CASE.has(r.name.toLowerCase()) : ALLOWED_FUNCTIONS.has(r.name));
  expect(rows.filter((r) => !allowed(r) && !refused(r)).map((r) => r.name)).toEqual([]);
  expect(rows.filter((r) => allowed(r) && refused(r)).map((r) => r.name)).toEqual([]);
  await client.close();
});
