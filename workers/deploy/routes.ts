/**
 * @module deploy/routes
 * Tinybird's deployment API: `/v1/deploy`, `/v1/build`, `/v1/deployments…`
 * and `/v1/workspace`, with the response shapes its CLI and TS SDK read.
 */
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../api/context.js";
import { requireAuth } from "../auth/require.js";
import { catalogStub } from "../auth/principal.js";
import { clickhouseFor } from "../clickhouse/client.js";
import { BadRequestError, NotFoundError } from "../../shared/errors.js";
import type { UploadedFile } from "../../shared/deploy/project.js";
import type { DeploymentRecord } from "../catalog/workspace-catalog.js";
import { DeployService, type DeployOutcome } from "./service.js";

export const deployRoutes = new Hono<AppEnv>();

const boolParam = z
  .enum(["true", "false", "1", "0", ""])
  .optional()
  .transform((v) => v === "true" || v === "1");

const DeployQuery = z.object({
  check: boolParam,
  auto_promote: boolParam,
  allow_destructive_operations: boolParam,
});

async function service(c: Context<AppEnv>): Promise<DeployService> {
  const { workspaceId } = c.get("principal");
  const stub = catalogStub(c.env, workspaceId);
  const info = await stub.info();
  if (!info) throw new NotFoundError("Workspace not found");
  return new DeployService(c.env, stub, clickhouseFor(c.get("config")), { id: info.id, database: info.database }, c.get("principal"));
}

async function uploadedFiles(c: Context<AppEnv>): Promise<UploadedFile[]> {
  let form: FormData;
  try {
    form = await c.req.formData();
  } catch {
    throw new BadRequestError("Expected a multipart/form-data body with one 'data_project://' part per datafile");
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

/** The deployment object as Tinybird clients read it. */
export function deploymentJson(d: DeploymentRecord) {
  const { manifest: _m, retired, ...rest } = d;
  // `rollback_target`: a former live deployment kept (with its tables) for rollback.
  return { ...rest, rollback_target: retired && d.status === "data_ready" };
}

function outcomeResponse(c: Context<AppEnv>, outcome: DeployOutcome, asBuild = false): Response {
  switch (outcome.kind) {
    case "no_changes":
      return c.json({ result: "no_changes" });
    case "invalid":
      return c.json(
        {
          result: "failed",
          error: outcome.errors.map((e) => e.error).join("\n"),
          errors: outcome.errors,
        },
        400,
      );
    case "failed":
      return c.json(
        {
          result: "failed",
          error: outcome.feedback.filter((f) => f.level === "ERROR").map((f) => f.message).join("\n"),
          ...(outcome.deployment ? { deployment: deploymentJson(outcome.deployment) } : {}),
          feedback: outcome.feedback,
        },
        400,
      );
    case "checked": {
      const body = { ...outcome.plan.changes, feedback: outcome.feedback };
      return c.json(asBuild ? { result: "success", build: { id: "check", ...body } } : { result: "success", deployment: { id: "check", status: "data_ready", live: false, ...body } });
    }
    case "deployed":
      return c.json({ result: "success", deployment: deploymentJson(outcome.deployment) });
  }
}

deployRoutes.post("/v1/deploy", requireAuth({ kind: "deploy" }), async (c) => {
  const query = DeployQuery.parse(c.req.query());
  const files = await uploadedFiles(c);
  const outcome = await (await service(c)).deploy(files, {
    check: query.check,
    autoPromote: query.auto_promote,
    allowDestructive: query.allow_destructive_operations,
  });
  return outcomeResponse(c, outcome);
});

// Validates and builds the project in a scratch database, leaving live alone.
deployRoutes.post("/v1/build", requireAuth({ kind: "deploy" }), async (c) => {
  const files = await uploadedFiles(c);
  const outcome = await (await service(c)).deploy(files, { check: true, autoPromote: false, allowDestructive: true });
  return outcomeResponse(c, outcome, true);
});

deployRoutes.get("/v1/deployments", requireAuth({ kind: "deploy" }), async (c) => {
  const list = await catalogStub(c.env, c.get("principal").workspaceId).listDeployments();
  return c.json({ deployments: list.map(deploymentJson) });
});

deployRoutes.post("/v1/deployments/rollback", requireAuth({ kind: "deploy" }), async (c) => {
  const live = await (await service(c)).rollback();
  return c.json({ result: "success", deployment: deploymentJson(live) });
});

deployRoutes.get("/v1/deployments/:id", requireAuth({ kind: "deploy" }), async (c) => {
  const d = await catalogStub(c.env, c.get("principal").workspaceId).getDeployment(c.req.param("id"));
  if (!d) throw new NotFoundError(`Deployment ${c.req.param("id")} not found`);
  return c.json({ result: "success", deployment: deploymentJson(d) });
});

deployRoutes.post("/v1/deployments/:id/set-live", requireAuth({ kind: "deploy" }), async (c) => {
  const live = await (await service(c)).promote(c.req.param("id"));
  return c.json({ result: "success", deployment: deploymentJson(live) });
});

deployRoutes.delete("/v1/deployments/:id", requireAuth({ kind: "deploy" }), async (c) => {
  const deleted = await (await service(c)).delete(c.req.param("id"));
  return c.json({ result: "success", deployment: deploymentJson(deleted) });
});

deployRoutes.get("/v1/workspace", requireAuth(), async (c) => {
  const principal = c.get("principal");
  const info = await catalogStub(c.env, principal.workspaceId).info();
  if (!info) throw new NotFoundError("Workspace not found");
  return c.json({
    id: info.id,
    name: info.name,
    user_id: principal.workspaceId,
    user_email: "local@tern",
    scope: principal.scopes.map((s) => s.type).join(","),
    main: null,
    created_at: info.createdAt,
  });
});
