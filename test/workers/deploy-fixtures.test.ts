/// <reference types="vite/client" />
// Every fixture project (written for the datafile tests) deploys for real:
// tables, materialized views, pipes reading pipes, copies and sinks.
import { describe, expect, it } from "vitest";
import { createWorkspace, deploy } from "./helpers/api.js";

const files = import.meta.glob("../fixtures/projects/*/**/*.{datasource,pipe,connection}", {
  query: "?raw",
  import: "default",
  eager: true,
}) as Record<string, string>;

const projects = new Map<string, Record<string, string>>();
for (const [path, text] of Object.entries(files)) {
  const [, project, ...rest] = path.replace("../fixtures/projects/", "").match(/^([^/]+)\/(.*)$/) ?? [];
  if (!project) continue;
  const entry = projects.get(project) ?? {};
  entry[rest.join("/")] = text;
  projects.set(project, entry);
}

describe("fixture projects deploy", () => {
  it("finds the five fixture projects", () => {
    expect([...projects.keys()].sort()).toEqual(expect.arrayContaining(["ecommerce", "iot", "llm_usage", "logs", "web_analytics"]));
  });

  for (const name of ["ecommerce", "iot", "llm_usage", "logs", "web_analytics"]) {
    it(`deploys ${name}`, async () => {
      const ws = await createWorkspace(`fx_${name}`);
      const { status, body } = await deploy(projects.get(name)!, "auto_promote=true", ws.token);
      expect(status, JSON.stringify(body.errors ?? body.feedback ?? body.error)).toBe(200);
      expect(body.deployment).toMatchObject({ status: "data_ready", live: true });
    });
  }
});
