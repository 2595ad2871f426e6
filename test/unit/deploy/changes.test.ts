// What /v1/deployments lists as new, changed and deleted, and when an upload
// is the live one again (no_changes).
import { describe, expect, it } from "vitest";
import type { DeploymentChanges } from "../../../shared/deploy/manifest.js";
import { planChanges, sameFilesAsLive } from "../../../shared/deploy/plan/changes.js";
import { liveOf, projectOf } from "./helpers.js";
import { STAGED_V1, STAGED_V2, endpoint } from "./scenarios.js";

const S3 = (region: string) => `TYPE s3\nS3_REGION ${region}\nS3_ARN arn:aws:iam::123456789012:role/a\n`;
const empty: DeploymentChanges = {
  new_datasource_names: [], changed_datasource_names: [], deleted_datasource_names: [],
  new_pipe_names: [], changed_pipe_names: [], deleted_pipe_names: [],
  new_data_connector_names: [], changed_data_connector_names: [], deleted_data_connector_names: [],
};

describe("change lists", () => {
  const cases: Array<[string, Record<string, string> | undefined, Record<string, string>, Partial<DeploymentChanges>]> = [
    ["first deployment: everything new, sorted", undefined, { "b.datasource": STAGED_V1, "a.datasource": STAGED_V1, "p.pipe": endpoint("p", "SELECT 1"), "c.connection": S3("eu-west-1") }, {
      new_datasource_names: ["a", "b"], new_pipe_names: ["p"], new_data_connector_names: ["c"],
    }],
    ["same files: nothing", { "a.datasource": STAGED_V1, "p.pipe": endpoint("p", "SELECT 1") }, { "a.datasource": STAGED_V1, "p.pipe": endpoint("p", "SELECT 1") }, {}],
    ["a file's text changed: changed, even without a new table", { "a.datasource": STAGED_V1 }, { "a.datasource": `# note\n${STAGED_V1}` }, { changed_datasource_names: ["a"] }],
    ["a new schema: changed", { "a.datasource": STAGED_V1 }, { "a.datasource": STAGED_V2 }, { changed_datasource_names: ["a"] }],
    ["resources gone: deleted", { "a.datasource": STAGED_V1, "b.datasource": STAGED_V1, "p.pipe": endpoint("p", "SELECT 1"), "c.connection": S3("eu-west-1") }, { "a.datasource": STAGED_V1 }, {
      deleted_datasource_names: ["b"], deleted_pipe_names: ["p"], deleted_data_connector_names: ["c"],
    }],
    ["a connection changed", { "c.connection": S3("eu-west-1") }, { "c.connection": S3("eu-west-3") }, { changed_data_connector_names: ["c"] }],
    ["a file moved to another folder: the same file", { "datasources/a.datasource": STAGED_V1 }, { "a.datasource": STAGED_V1 }, {}],
  ];
  for (const [change, before, after, expected] of cases) {
    it(change, () => {
      expect(planChanges(projectOf(after), before ? liveOf(before) : undefined)).toEqual({ ...empty, ...expected });
    });
  }
});

describe("no_changes", () => {
  const cases: Array<[string, Record<string, string> | undefined, Record<string, string>, boolean]> = [
    ["no live deployment", undefined, { "a.datasource": STAGED_V1 }, false],
    ["the same files", { "a.datasource": STAGED_V1, "p.pipe": endpoint("p", "SELECT 1") }, { "p.pipe": endpoint("p", "SELECT 1"), "a.datasource": STAGED_V1 }, true],
    ["the same files in other folders", { "datasources/a.datasource": STAGED_V1 }, { "a.datasource": STAGED_V1 }, true],
    ["one text differs by a comment", { "a.datasource": STAGED_V1 }, { "a.datasource": `# note\n${STAGED_V1}` }, false],
    ["a file more", { "a.datasource": STAGED_V1 }, { "a.datasource": STAGED_V1, "p.pipe": endpoint("p", "SELECT 1") }, false],
    ["a file less", { "a.datasource": STAGED_V1, "p.pipe": endpoint("p", "SELECT 1") }, { "a.datasource": STAGED_V1 }, false],
  ];
  for (const [what, before, after, same] of cases) {
    it(`${what}: ${same ? "no changes" : "a deployment"}`, () => {
      expect(sameFilesAsLive(projectOf(after), before ? liveOf(before) : undefined)).toBe(same);
    });
  }
});
