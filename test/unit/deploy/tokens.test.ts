// The tokens TOKEN lines declare, each with every scope any file gives it.
import { describe, expect, it } from "vitest";
import { declaredTokens } from "../../../shared/deploy/plan/tokens.js";
import { projectOf } from "./helpers.js";
import { STAGED_V1, endpoint } from "./scenarios.js";

describe("declared tokens", () => {
  it("none without TOKEN lines", () => {
    expect(declaredTokens(projectOf({ "a.datasource": STAGED_V1 }))).toEqual([]);
  });

  it("gathers each token's scopes across files, sorted; tokens in order of first declaration", () => {
    const project = projectOf({
      "b.datasource": `${STAGED_V1}\nTOKEN shared APPEND\nTOKEN "reader app" READ\n`,
      "a.datasource": `${STAGED_V1}\nTOKEN shared READ\nTOKEN shared APPEND\n`,
      "p.pipe": `${endpoint("p", "SELECT * FROM a")}\nTOKEN "reader app" READ\nTOKEN dashboard READ\n`,
    });
    expect(declaredTokens(project)).toEqual([
      { name: "shared", scopes: ["DATASOURCES:APPEND:a", "DATASOURCES:APPEND:b", "DATASOURCES:READ:a"] },
      { name: "reader app", scopes: ["DATASOURCES:READ:b", "PIPES:READ:p"] },
      { name: "dashboard", scopes: ["PIPES:READ:p"] },
    ]);
  });
});
