/**
 * @module endpoints/pipes-api
 * The read side of Tinybird's Pipes API: `GET /v0/pipes` (the live pipes this
 * token can read), `GET /v0/pipes/:name` (nodes and parameters) and
 * `GET /v0/pipes/:name.pipe` (the datafile), as `tinybird pull` and `init` read them.
 */
import { Hono } from "hono";
import type { AppEnv } from "../api/context.js";
import { ensureAllowed, requireAuth } from "../auth/require.js";
import type { Principal } from "../auth/principal.js";
import type { LiveDeployment } from "../catalog/client.js";
import { NotFoundError } from "../../shared/errors.js";
import { authorize } from "../../shared/tokens/scopes.js";
import { extractParameters } from "../../shared/template/index.js";
import type { ManifestPipe } from "../../shared/deploy/manifest.js";

function pipeType(p: ManifestPipe): string {
  const t = p.file.publication.type;
  return t === "standard" ? "default" : t;
}

/** A pipe as the Pipes API shows it; `withParams` adds each node's and the pipe's parameters. */
export function describePipe(p: ManifestPipe, withParams: boolean) {
  const pub = p.file.publication;
  return {
    id: p.name,
    name: p.name,
    description: p.file.description ?? "",
    type: pipeType(p),
    endpoint: pub.type === "endpoint" ? pub.node : null,
    materialized_datasource: pub.type === "materialized" ? pub.datasource : null,
    copy_target_datasource: pub.type === "copy" ? pub.targetDatasource : null,
    nodes: p.file.nodes.map((n) => ({
      name: n.name,
      description: n.description ?? "",
      sql: n.sql,
      node_type: n.type,
      ...(withParams ? { params: extractParameters([n.sql]) } : {}),
    })),
    ...(withParams ? { params: extractParameters(p.file.nodes.map((n) => n.sql)) } : {}),
  };
}

/** The live pipes `principal` may read. */
export function readablePipes(principal: Principal, live: LiveDeployment | undefined): ManifestPipe[] {
  return Object.values(live?.manifest.pipes ?? {}).filter((p) => authorize(principal.scopes, { kind: "read_pipe", pipe: p.name }).allowed);
}

/** One live pipe `principal` may read, with its datafile text; 404 when there is none, 403 without the scope. */
export function readablePipe(principal: Principal, live: LiveDeployment | undefined, name: string): { pipe: ManifestPipe; datafile: string } {
  const pipe = live?.manifest.pipes[name];
  if (!live || !pipe) throw new NotFoundError(`Pipe '${name}' not found`);
  ensureAllowed(principal, { kind: "read_pipe", pipe: name });
  const base = pipe.file.path.split(/[\\/]/).pop()!;
  return { pipe, datafile: live.manifest.files[base] ?? "" };
}

/** Mounted at `/v0/pipes`, after the endpoint routes. */
export const pipesApiRoutes = new Hono<AppEnv>();

pipesApiRoutes.get("/", requireAuth(), async (c) => {
  const principal = c.get("principal");
  const live = await c.get("platform").catalog.liveDeployment(principal.workspaceId);
  return c.json({ pipes: readablePipes(principal, live).map((p) => describePipe(p, false)) });
});

pipesApiRoutes.get("/:name{[^/.]+\\.pipe}", requireAuth(), async (c) => {
  const principal = c.get("principal");
  const live = await c.get("platform").catalog.liveDeployment(principal.workspaceId);
  const { datafile } = readablePipe(principal, live, c.req.param("name").replace(/\.pipe$/, ""));
  return c.text(datafile, 200, { "content-type": "text/plain; charset=utf-8" });
});

pipesApiRoutes.get("/:name{[^/.]+}", requireAuth(), async (c) => {
  const principal = c.get("principal");
  const live = await c.get("platform").catalog.liveDeployment(principal.workspaceId);
  return c.json(describePipe(readablePipe(principal, live, c.req.param("name")).pipe, true));
});
