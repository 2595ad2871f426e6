// /v1/deploy and /v1/build over the project validator's conformance table
// (test/unit/deploy/validator-cases.ts), through the real Worker: every broken
// project is refused with exactly the table's problems, the ones `tern check`
// prints for the same files (test/node/cli/check.test.ts runs the same table),
// and nothing is recorded; every valid one passes a check deploy.
import { beforeAll, describe, expect, it } from "vitest";
import { api, createWorkspace, deploy, projectForm } from "./helpers/api.js";
import { asDeployErrors, VALIDATOR_CASES } from "../unit/deploy/validator-cases.js";

let ws: { id: string; token: string };
beforeAll(async () => {
  ws = await createWorkspace("validation");
});

const refused = VALIDATOR_CASES.filter((c) => c.errors.length > 0);
const valid = VALIDATOR_CASES.filter((c) => c.errors.length === 0);

describe("/v1/deploy answers the validator's problems", () => {
  for (const c of refused) {
    it(`refuses: ${c.name}`, async () => {
      const { status, body } = await deploy(c.files, "auto_promote=true", ws.token);
      const errors = asDeployErrors(c.errors);
      expect({ status, result: body.result, error: body.error, errors: body.errors }).toEqual({
        status: 400, result: "failed", error: errors.map((e) => e.error).join("\n"), errors,
      });
    });
  }

  it("/v1/build refuses with the same problems", async () => {
    const c = refused.find((r) => r.name.startsWith("pipes read other pipes"))!;
    const res = await api("/v1/build", { method: "POST", token: ws.token, body: projectForm(c.files) });
    expect([res.status, ((await res.json()) as { errors: unknown }).errors]).toEqual([400, asDeployErrors(c.errors)]);
  });

  it("recorded no deployment for any of them", async () => {
    const res = await api("/v1/deployments", { token: ws.token });
    expect(((await res.json()) as { deployments: unknown[] }).deployments).toEqual([]);
  });

  for (const c of valid) {
    it(`accepts: ${c.name}`, async () => {
      const { status, body } = await deploy(c.files, "check=true", ws.token);
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body.result).toBe("success");
    });
  }
});
