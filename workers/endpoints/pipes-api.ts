/**
 * @module endpoints/pipes-api
 * The read side of Tinybird's Pipes API: `GET /v0/pipes` (the live pipes this
 * token can read), `GET /v0/pipes/:name` (nodes and parameters) and
 * `GET /v0/pipes/:name.pipe` (the datafile), as `tinybird pull` and `init` read them.
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../api/context.js";
import { ensureAllowed, requireAuth } from "../auth/require.js";
import { liveManifest } from "../catalog/live-manifest.js";
import { NotFoundError } from "../../shared/errors.js";
import { authorize } from "../../shared/tokens/scopes.js";
import { extractParameters } from "../../shared/template/index.js";
import type { ManifestPipe } from "../../shared/deploy/manifest.js";

export const pipesApiRoutes = new Hono<AppEnv>();

function pipeType(p: ManifestPipe): string {
  const t = p.file.publication.type;
  return t === "standard" ? "default" : t;
}

function describePipe(p: ManifestPipe, withParams: boolean) {
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

async function readablePipe(c: Context<AppEnv>, name: string): Promise<{ pipe: ManifestPipe; files: Record<string, string> }> {
  const live = await liveManifest(c.env, c.get("principal").workspaceId);
  const pipe = live?.manifest.pipes[name];
  if (!live || !pipe) throw new NotFoundError(`Pipe '${name}' not found`);
  ensureAllowed(c, { kind: "read_pipe", pipe: name });
  return { pipe, files: live.manifest.files };
}

pipesApiRoutes.get("/v0/pipes", requireAuth(), async (c) => {
  const principal = c.get("principal");
  const live = await liveManifest(c.env, principal.workspaceId);
  const pipes = Object.values(live?.manifest.pipes ?? {}).filter((p) => authorize(principal.scopes, { kind: "read_pipe", pipe: p.name }).allowed);
  return c.json({ pipes: pipes.map((p) => describePipe(p, false)) });
});

pipesApiRoutes.get("/v0/pipes/:name{[^/.]+\\.pipe}", requireAuth(), async (c) => {
  const name = c.req.param("name").replace(/\.pipe$/, "");
  const { pipe, files } = await readablePipe(c, name);
  const base = pipe.file.path.split(/[\\/]/).pop()!;
  return c.text(files[base] ?? "", 200, { "content-type": "text/plain; charset=utf-8" });
});

pipesApiRoutes.get("/v0/pipes/:name{[^/.]+}", requireAuth(), async (c) => {
  const { pipe } = await readablePipe(c, c.req.param("name"));
  return c.json(describePipe(pipe, true));
});
