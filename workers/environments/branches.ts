/**
 * @module environments/branches
 * Branches, Tinybird's third environment, as its TS SDK and CLI call them:
 * `POST /v1/environments?name=&data=last_partition`, `GET /v1/environments`,
 * `GET /v0/environments/<name or id>?with_token=true`, `DELETE
 * /v0/environments/<id or name>`.
 *
 * A branch is a workspace of its own (Directory entry under `branch:<parent>`,
 * catalog, ClickHouse database, its own admin token) made from its parent's
 * live deployment: the same files deployed and promoted in the branch, the
 * parent's secrets, and with `data=last_partition` the last partition of each
 * datasource (`ALTER TABLE … ATTACH PARTITION ID … FROM`: parts hard-linked,
 * no materialized view fires twice); `all_partitions` attaches every one.
 * Only the parent's admin tokens manage its branches; a branch's tokens reach
 * its own workspace alone (they are signed for it), never the parent's.
 * Deleting a branch drops its database, its reader user and its tokens.
 */
import { BadRequestError, ConflictError, ForbiddenError, InternalError, NotFoundError } from "../../shared/errors.js";
import { quoteQualifiedName, quoteString } from "../../shared/sql/ddl/quote.js";
import { WORKSPACE_ADMIN_TOKEN } from "../auth/jwt.js";
import type { Principal } from "../auth/principal.js";
import { ensureAllowed } from "../auth/require.js";
import { branchOwner, branchParent } from "../catalog/branches.js";
import type { DirectoryEntry } from "../catalog/directory.js";
import type { Platform } from "../platform/platform.js";
import type { DeploymentManifest } from "../../shared/deploy/manifest.js";
import { DeployService } from "../deploy/service.js";
import { jobJson } from "../jobs/job-json.js";
import { createWorkspace, deleteWorkspace, WORKSPACE_NAME } from "../workspaces/service.js";

export type BranchData = "" | "last_partition" | "all_partitions";

/**
 * A branch as the SDK reads it (`id`, `name`, `created_at`; `token` with
 * `with_token=true`) and tb (`main`, `owner` looked up in `members`).
 */
function branchJson(e: DirectoryEntry, parentId: string, token?: string) {
  return {
    id: e.id, name: e.name, created_at: e.created_at, is_branch: true, main: parentId, owner: "", members: [],
    ...(token !== undefined ? { token } : {}),
  };
}

/**
 * The caller's workspace, when it may manage branches: an admin token of a
 * workspace that is not itself a branch.
 */
async function parentWorkspace(platform: Platform, principal: Principal): Promise<string> {
  ensureAllowed(principal, { kind: "admin" });
  const entry = await platform.catalog.directory().byId(principal.workspaceId);
  if (branchParent(entry) !== undefined) {
    throw new ForbiddenError("Permission denied: a branch's token cannot manage branches; use the main workspace's admin token");
  }
  return principal.workspaceId;
}

async function findBranch(platform: Platform, parentId: string, idOrName: string): Promise<DirectoryEntry> {
  const entry = await platform.catalog.directory().owned(branchOwner(parentId), idOrName);
  if (!entry) throw new NotFoundError(`Branch '${idOrName.slice(0, 100)}' not found`);
  return entry;
}

export async function listBranches(platform: Platform, principal: Principal) {
  const parentId = await parentWorkspace(platform, principal);
  const entries = await platform.catalog.directory().list(branchOwner(parentId));
  return { environments: entries.map((e) => branchJson(e, parentId)) };
}

export async function getBranch(platform: Platform, principal: Principal, idOrName: string, withToken: boolean) {
  const parentId = await parentWorkspace(platform, principal);
  const entry = await findBranch(platform, parentId, idOrName);
  const token = withToken ? (await platform.catalog.workspace(entry.id).getToken(WORKSPACE_ADMIN_TOKEN))?.token : undefined;
  return branchJson(entry, parentId, token);
}

export async function deleteBranch(platform: Platform, principal: Principal, idOrName: string) {
  const parentId = await parentWorkspace(platform, principal);
  const entry = await findBranch(platform, parentId, idOrName);
  await deleteWorkspace(platform, entry.id);
  return { id: entry.id, name: entry.name, deleted: true };
}

/**
 * Creates the branch and answers the finished job the SDK polls
 * (`{job, workspace}`): the work is done by the time the answer is sent.
 */
export async function createBranch(platform: Platform, principal: Principal, input: { name: string | undefined; data: BranchData; origin: string }) {
  const parentId = await parentWorkspace(platform, principal);
  const name = input.name?.trim() ?? "";
  if (!WORKSPACE_NAME.test(name)) {
    throw new BadRequestError("Invalid branch name: letters, digits and _ (not first), at most 64 characters: POST /v1/environments?name=<branch>");
  }
  const directory = platform.catalog.directory();
  if (await directory.owned(branchOwner(parentId), name)) throw new ConflictError(`Branch '${name}' already exists`);

  const parent = platform.catalog.workspace(parentId);
  const started = new Date().toISOString();
  const ws = await createWorkspace(platform, name, branchOwner(parentId));
  try {
    await platform.catalog.workspace(ws.id).copySecrets(await parent.secretValues());
    const live = await parent.live();
    let attached = 0;
    if (live?.manifest) {
      const branch = platform.catalog.workspace(ws.id);
      const info = (await branch.info())!;
      const files = Object.entries(live.manifest.files).map(([fileName, text]) => ({ name: fileName, text }));
      const outcome = await new DeployService(platform, branch, { id: info.id, database: info.database }).deploy(files, {
        check: false,
        autoPromote: true,
        allowDestructive: true,
      });
      if (outcome.kind !== "deployed" && outcome.kind !== "no_changes") {
        const why = outcome.kind === "invalid" ? outcome.errors.map((e) => e.error) : outcome.kind === "failed" ? outcome.feedback.map((f) => f.message) : [];
        throw new InternalError(`The parent's live deployment could not be deployed in the branch: ${why.join("; ").slice(0, 500)}`);
      }
      if (input.data !== "") attached = await copyPartitions(platform, live.manifest, (await branch.live())?.manifest ?? undefined, input.data);
    }
    const job = await parent.createJob({ id: crypto.randomUUID(), kind: "branch_creation", status: "done", details: { branch: name } });
    await parent.updateJob(job.id, { statistics: { partitions_attached: attached } });
    const done = (await parent.getJob(job.id)) ?? job;
    return { job: { ...jobJson(done, input.origin), started_at: done.started_at ?? started }, workspace: { id: ws.id, name: ws.name } };
  } catch (e) {
    // Nothing half-made stays behind: the branch goes with whatever it had.
    await deleteWorkspace(platform, ws.id).catch(() => undefined);
    throw e;
  }
}

const PARTITION_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Attaches the parent's partitions of each datasource to the branch's table of
 * the same datasource (same datafile, so the same structure and partition key):
 * the last one, or all. Answers how many were attached.
 */
async function copyPartitions(platform: Platform, parent: DeploymentManifest, branch: DeploymentManifest | undefined, data: Exclude<BranchData, "">): Promise<number> {
  if (!branch) return 0;
  const ch = platform.clickhouse.admin;
  let attached = 0;
  for (const [name, ds] of Object.entries(parent.datasources)) {
    const target = branch.datasources[name];
    if (!target) continue;
    const rs = await ch.query({
      query: `SELECT partition_id FROM system.parts WHERE database = ${quoteString(parent.database)} AND table = ${quoteString(ds.table)} AND active
        GROUP BY partition_id ORDER BY max(max_date) DESC, max(max_time) DESC, partition_id DESC${data === "last_partition" ? " LIMIT 1" : ""}`,
      format: "JSONEachRow",
    });
    const ids = ((await rs.json()) as Array<{ partition_id: string }>).map((r) => r.partition_id).filter((id) => PARTITION_ID.test(id));
    for (const id of ids) {
      await ch.command({
        query: `ALTER TABLE ${quoteQualifiedName(branch.database, target.table)} ATTACH PARTITION ID ${quoteString(id)} FROM ${quoteQualifiedName(parent.database, ds.table)}`,
      });
      attached++;
    }
  }
  return attached;
}
