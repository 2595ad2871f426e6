/**
 * @module catalog/staging
 * `?__tb__deployment=staging` (Tinybird's CLI sends it on every call under
 * `--staging`): the request reads and writes the deployment in staging (built,
 * `data_ready`, not promoted) instead of the live one. The platform's catalog
 * is wrapped once per request (`platform/middleware.ts`), so every role that
 * asks for "the live deployment" (endpoints, the Query API, events, appends,
 * datasources, copies, sinks) gets the staging one without knowing. Asking for
 * staging when there is none is a 400, never a silent fall back to live.
 */
import { BadRequestError } from "../../shared/errors.js";
import type { CatalogClient, LiveDeployment } from "./client.js";

export const DEPLOYMENT_PARAM = "__tb__deployment";

/** The staging deployment a request was switched to; `staging` tells writes to route their queued rows to it. */
export type StagingDeployment = LiveDeployment & { staging: true };

export function isStaging(d: LiveDeployment | undefined): d is StagingDeployment {
  return d !== undefined && (d as Partial<StagingDeployment>).staging === true;
}

/** `live` (or nothing) and `staging` are the deployments a request can name. */
export function parseDeploymentChoice(value: string | undefined): "live" | "staging" {
  if (value === undefined || value === "" || value === "live") return "live";
  if (value === "staging") return "staging";
  throw new BadRequestError(`${DEPLOYMENT_PARAM} must be 'staging' or 'live', not '${value.slice(0, 40)}'`);
}

/** The workspace's deployment in staging, with its manifest, or undefined. */
export async function stagingDeployment(catalog: CatalogClient, workspaceId: string): Promise<StagingDeployment | undefined> {
  const ws = catalog.workspace(workspaceId);
  const listed = (await ws.listDeployments()).find((d) => !d.live && !d.retired && d.status === "data_ready");
  if (!listed) return undefined;
  const record = await ws.getDeployment(listed.id, true);
  if (!record?.manifest) return undefined;
  const staged = { id: record.id, manifest: record.manifest, since: record.updated_at, staging: true as const };
  return staged;
}

/** The request's catalog with `liveDeployment` answering the staging deployment (or refusing when there is none). */
export function stagingCatalog(catalog: CatalogClient): CatalogClient {
  const resolved = new Map<string, Promise<StagingDeployment | undefined>>();
  return {
    ...catalog,
    async liveDeployment(workspaceId) {
      let found = resolved.get(workspaceId);
      if (!found) resolved.set(workspaceId, (found = stagingDeployment(catalog, workspaceId)));
      const staged = await found;
      if (!staged) {
        throw new BadRequestError(
          `${DEPLOYMENT_PARAM}=staging: there is no deployment in staging. Create one without promoting it (tb deploy --no-auto, tern deploy --no-auto, POST /v1/deploy without auto_promote) and try again`,
        );
      }
      return staged;
    },
  };
}
