import { describe, expect, it, beforeAll } from "vitest";
import { api, createWorkspace, deploy } from "./helpers/api.js";

const DS = "SCHEMA >\n    `id` UInt32,\n    `country` String\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"id\"\n";
const TOP = "DESCRIPTION >\n    Rows per country\n\nNODE counts\nSQL >\n    %\n    SELECT country, count() AS n FROM items\n    WHERE id > {{ UInt32(min_id, 0, description=\"Lowest id\") }}\n    GROUP BY country\n\nTYPE endpoint\n\nTOKEN reader READ\n";
const HIDDEN = "NODE h\nSQL >\n    SELECT 1 AS one\n";

let ws: { id: string; token: string };
beforeAll(async () => {
  ws = await createWorkspace("pipesapi");
  expect((await deploy({ "items.datasource": DS, "by_country.pipe": TOP, "hidden.pipe": HIDDEN }, "auto_promote=true", ws.token)).status).toBe(200);
});

describe("Pipes API (read side)", () => {
  it("lists the live pipes with their type and endpoint node", async () => {
    const res = await api("/v0/pipes", { token: ws.token });
    const body = (await res.json()) as { pipes: Array<Record<string, unknown>> };
    expect(body.pipes.map((p) => [p.name, p.type, p.endpoint])).toEqual([
      ["by_country", "endpoint", "counts"],
      ["hidden", "default", null],
    ]);
  });

  it("describes one pipe with its nodes and parameters", async () => {
    const res = await api("/v0/pipes/by_country", { token: ws.token });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { description: string; nodes: Array<{ name: string }>; params: Array<Record<string, unknown>> };
    expect(body.description).toBe("Rows per country");
    expect(body.nodes.map((n) => n.name)).toEqual(["counts"]);
    expect(body.params).toEqual([expect.objectContaining({ name: "min_id", type: "UInt32", default: 0, description: "Lowest id" })]);
  });

  it("returns the datafile with .pipe", async () => {
    const res = await api("/v0/pipes/by_country.pipe", { token: ws.token });
    expect(await res.text()).toBe(TOP);
  });

  it("answers 404 for an unknown pipe", async () => {
    const res = await api("/v0/pipes/nope", { token: ws.token });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "Pipe 'nope' not found" });
  });
});
