// Security suite: endpoint params (values and column() identifiers) that try to escape the template's quoting,
// and JWT fixed params on every path, with every token kind.
import { describe, expect, it } from "vitest";
import { api } from "../helpers/api.js";
import { IDENTIFIER_ATTEMPTS, PARAM_ATTEMPTS } from "./corpus.js";
import { judge, securityWorkspaces, send, tokens, ws } from "./harness.js";

securityWorkspaces("params");

describe(`endpoint params (${PARAM_ATTEMPTS.length + IDENTIFIER_ATTEMPTS.length}) with every token`, () => {
  it.each(PARAM_ATTEMPTS.map((a) => [a.name, a] as const))("value: %s", async (_name, attempt) => {
    const failures: string[] = [];
    const v = attempt.sql.includes("\ud800") ? "acme%ED%A0%80" : encodeURIComponent(attempt.sql);
    for (const kind of tokens) {
      for (const path of [`/v0/pipes/top_pages.json?tenant=${v}`, `/v0/pipes/echo.json?s=${v}`, `/v0/pipes/by_paths.json?paths=${v}`]) {
        const out = await send(path, kind.token);
        const f = judge({ ...attempt, confined: true }, kind, path.split("?")[0]!, out);
        if (f) failures.push(f);
      }
    }
    expect(failures).toEqual([]);
  });

  it.each(IDENTIFIER_ATTEMPTS.map((a) => [a.name, a] as const))("column(): %s", async (_name, attempt) => {
    const failures: string[] = [];
    for (const kind of tokens) {
      const out = await send(`/v0/pipes/echo.json?col=${encodeURIComponent(attempt.sql)}`, kind.token);
      const f = judge({ ...attempt, confined: true }, kind, "column()", out);
      if (f) failures.push(f);
    }
    expect(failures).toEqual([]);
  });

  it("a JWT's fixed tenant wins over the request on the endpoint, q= and /v0/sql", async () => {
    const jwt = tokens.find((t) => t.name === "JWT with fixed params")!.token;
    const viaEndpoint = await api("/v0/pipes/top_pages.json?tenant=globex", { token: jwt });
    const asAcme = await api("/v0/pipes/top_pages.json?tenant=acme", { token: ws.token });
    expect(((await viaEndpoint.json()) as { data: unknown }).data).toEqual(((await asAcme.json()) as { data: unknown }).data);
    const viaSql = await api(`/v0/sql?q=${encodeURIComponent("SELECT sum(views) AS v FROM top_pages")}&tenant=globex`, { token: jwt });
    expect(((await viaSql.json()) as { data: unknown }).data).toEqual([{ v: 5 }]);
    const viaTemplate = await api(`/v0/sql?q=${encodeURIComponent("%\nSELECT {{ String(tenant, 'none') }} AS t")}&tenant=globex`, { token: jwt });
    expect(((await viaTemplate.json()) as { data: unknown }).data).toEqual([{ t: "acme" }]);
  });
});
