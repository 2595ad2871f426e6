/**
 * @module deploy/routes
 * Tinybird's deployment API, with the response shapes its CLI and TS SDK
 * read: `/v1/deploy`, `/v1/build`, `/v1/deployments…` (service.ts) and
 * `/v1/workspace` (the token's workspace). One sub-app per prefix.
 */
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../api/context.js";
import { requireAuth } from "../auth/require.js";
import type { Principal } from "../auth/principal.js";
import type { Platform } from "../platform/platform.js";
import { BadRequestError, NotFoundError } from "../../shared/errors.js";
import type { UploadedFile } from "../../shared/deploy/project.js";
import type { DeploymentRecord } from "../catalog/workspace-catalog.js";
import { deployServiceFor, type DeployOutcome } from "./service.js";
import { branchParent } from "../catalog/branches.js";

const boolParam = z
  .enum(["true", "false", "1", "0", ""])
  .optional()
  .transform((v) => v === "true" || v === "1");

const DeployQuery = z.object({
  check: boolParam,
  auto_promote: boolParam,
  allow_destructive_operations: boolParam,
});

/** The datafiles of a `tinybird deploy` body: one `data_project://` part per file. */
async function uploadedFiles(request: Request): Promise<UploadedFile[]> {
  let form: FormData;
  try {
    form = await request.formData();
  } catch (e) {
    throw new BadRequestError("Expected a multipart/form-data body with one 'data_project://' part per datafile", { cause: e });
  }
  const files: UploadedFile[] = [];
  // workers-types narrows getAll() to strings; parts with a filename are Files.
  for (const part of form.getAll("data_project://") as unknown as Array<File | string>) {
    if (typeof part === "string") throw new BadRequestError("Each 'data_project://' part must be a file with a file name");
    files.push({ name: part.name, text: await part.text() });
  }
  if (files.length === 0) throw new BadRequestError("No datafiles: send each one as a 'data_project://' part");
  return files;
}

/**
 * The deployment object as Tinybird clients read it. `errors` is always a
 * list (Tinybird's CLI iterates it): the ERROR feedback's messages.
 */
export function deploymentJson(d: DeploymentRecord) {
  const { manifest: _m, retired, ...rest } = d;
  const errors = d.feedback.filter((f) => f.level === "ERROR").map((f) => (f.resource ? `${f.resource}: ${f.message}` : f.message));
  // `rollback_target`: a former live deployment kept (with its tables) for rollback.
  return { ...rest, errors, rollback_target: retired && d.status === "data_ready" };
}

/**
 * A refused deploy as the error it is answered with (400, the error mapping
 * in shared/error-answer.ts): every problem's text as the message, and the
 * fields Tinybird's clients read beside it (`errors`, or the failed
 * deployment and its `feedback`).
 */
function refusal(outcome: Extract<DeployOutcome, { kind: "invalid" | "failed" }>): BadRequestError {
  if (outcome.kind === "invalid") {
    return new BadRequestError(outcome.errors.map((e) => e.error).join("\n"), { details: { result: "failed", errors: outcome.errors } });
  }
  return new BadRequestError(outcome.feedback.filter((f) => f.level === "ERROR").map((f) => f.message).join("\n"), {
    details: { result: "failed", ...(outcome.deployment ? { deployment: deploymentJson(outcome.deployment) } : {}), feedback: outcome.feedback },
  });
}

function outcomeResponse(c: Context<AppEnv>, outcome: DeployOutcome, asBuild = false): Response {
  switch (outcome.kind) {
    case "no_changes":
      return c.json({ result: "no_changes" });
    case "invalid":
    case "failed":
      throw refusal(outcome);
    case "checked": {
      const body = { ...outcome.plan.changes, feedback: outcome.feedback };
      return c.json(
        asBuild ? { result: "success", build: { id: "check", ...body } } : { result: "success", deployment: { id: "check", status: "data_ready", live: false, errors: [], ...body } },
      );
    }
    case "deployed":
      return c.json({ result: "success", deployment: deploymentJson(outcome.deployment) });
  }
}

const deployer = requireAuth({ kind: "deploy" });

/** Mounted at `/v1/deploy`. */
export const deployRoutes = new Hono<AppEnv>();

deployRoutes.post("/", deployer, async (c) => {
  const query = DeployQuery.parse(c.req.query());
  const files = await uploadedFiles(c.req.raw);
  const service = await deployServiceFor(c.get("platform"), c.get("principal"));
  const outcome = await service.deploy(files, {
    check: query.check, reachBuckets: query.check, autoPromote: query.auto_promote, allowDestructive: query.allow_destructive_operations,
  });
  return outcomeResponse(c, outcome);
});

/**
 * The workspaces Tinybird's CLI makes on Tinybird Local for `tb build`
 * (`Tinybird_Local_Build_<sha256 of the project folder>`) and `tb test run`
 * (`Tinybird_Local_Test_<uuid>`): a build there is their deployment, as
 * Tinybird Local does, so tests and fixtures have tables and endpoints.
 */
export function isLocalBuildWorkspace(name: string): boolean {
  return /^Tinybird_Local_(Build|Test)_/.test(name);
}

const NO_CHANGES = Object.fromEntries(
  ["new", "changed", "deleted"].flatMap((change) => ["datasource", "pipe", "data_connector"].map((kind) => [`${change}_${kind}_names`, [] as string[]])),
);

/** Mounted at `/v1/build`: validates and builds the project in a scratch database, leaving live alone. */
export const buildRoutes = new Hono<AppEnv>();

buildRoutes.post("/", deployer, async (c) => {
  const files = await uploadedFiles(c.req.raw);
  const service = await deployServiceFor(c.get("platform"), c.get("principal"));
  // In a branch a build is the branch's deployment, made live there (as in Tinybird: `tinybird build` on a git branch, then its endpoints).
  // So it is in the workspaces Tinybird's CLI builds and tests in locally (`tb build`, `tb test run`), as Tinybird Local does.
  const entry = await c.get("platform").catalog.directory().byId(c.get("principal").workspaceId);
  const localBuild = entry !== undefined && isLocalBuildWorkspace(entry.name);
  if (branchParent(entry) !== undefined || localBuild) {
    const outcome = await service.deploy(files, { check: false, autoPromote: true, allowDestructive: true });
    if (outcome.kind === "deployed") return c.json({ result: "success", build: deploymentJson(outcome.deployment) });
    // tb takes `no_changes` from /v1/build for an unknown answer; a build with nothing to change is a success that changed nothing.
    if (localBuild && outcome.kind === "no_changes") return c.json({ result: "success", build: { id: "no_changes", ...NO_CHANGES, feedback: [] } });
    return outcomeResponse(c, outcome, true);
  }
  return outcomeResponse(c, await service.deploy(files, { check: true, autoPromote: false, allowDestructive: true }), true);
});

/** Mounted at `/v1/deployments`. */
export const deploymentRoutes = new Hono<AppEnv>();

const ListQuery = z.object({ include_deleted: boolParam });

/**
 * Tinybird's order, oldest first: its CLI promotes `deployments[1]` over
 * `deployments[0]`, and after a deploy waits for every other listed one to be
 * deleted. The former live deployment Tern keeps for rollback, and failed
 * ones (which Tinybird deletes by itself), are therefore listed only with
 * `include_deleted=true` (as Tinybird lists what it removed).
 */
deploymentRoutes.get("/", deployer, async (c) => {
  const query = ListQuery.parse(c.req.query());
  const list = await c.get("platform").catalog.workspace(c.get("principal").workspaceId).listDeployments();
  const shown = query.include_deleted ? list : list.filter((d) => !d.retired && d.status !== "failed");
  return c.json({ deployments: shown.map(deploymentJson).sort((a, b) => Number(a.id) - Number(b.id)) });
});

deploymentRoutes.post("/rollback", deployer, async (c) => {
  const live = await (await deployServiceFor(c.get("platform"), c.get("principal"))).rollback();
  return c.json({ result: "success", deployment: deploymentJson(live) });
});

deploymentRoutes.get("/:id", deployer, async (c) => {
  const d = await c.get("platform").catalog.workspace(c.get("principal").workspaceId).getDeployment(c.req.param("id"));
  if (!d) throw new NotFoundError(`Deployment ${c.req.param("id")} not found`);
  return c.json({ result: "success", deployment: deploymentJson(d) });
});

deploymentRoutes.post("/:id/set-live", deployer, async (c) => {
  const live = await (await deployServiceFor(c.get("platform"), c.get("principal"))).promote(c.req.param("id"));
  return c.json({ result: "success", deployment: deploymentJson(live) });
});

deploymentRoutes.delete("/:id", deployer, async (c) => {
  const deleted = await (await deployServiceFor(c.get("platform"), c.get("principal"))).delete(c.req.param("id"));
  return c.json({ result: "success", deployment: deploymentJson(deleted) });
});

/** The token's workspace, as `tinybird workspace current` reads it. */
export async function currentWorkspace(platform: Platform, principal: Principal) {
  const info = await platform.catalog.workspace(principal.workspaceId).info();
  if (!info) throw new NotFoundError("Workspace not found");
  return {
    id: info.id,
    name: info.name,
    user_id: principal.workspaceId,
    user_email: "local@tern",
    scope: principal.scopes.map((s) => s.type).join(","),
    main: null,
    created_at: info.createdAt,
  };
}

/** Mounted at `/v1/workspace`. */
export const currentWorkspaceRoutes = new Hono<AppEnv>();

currentWorkspaceRoutes.get("/", requireAuth(), async (c) => c.json(await currentWorkspace(c.get("platform"), c.get("principal"))));
