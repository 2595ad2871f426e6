/**
 * @module endpoints/pipes-api
 * The read side of Tinybird's Pipes API: `GET /v0/pipes` (the live pipes this
 * token can read), `GET /v0/pipes/:name` (nodes and parameters) and
 * `GET /v0/pipes/:name.pipe` (the datafile), as `tinybird pull` and `init` read them.
 * Copy and sink pipes carry Tinybird's fields for them (`copy_target_datasource`,
 * `copy_schedule`, `sink_node`, `schedule{timezone, cron, status}`…), with the
 * paused state from the workspace's catalog, so `tern copy ls` and `tern sink ls`
 * need no route of their own. Every pipe carries `created_at` and `updated_at`
 * (`tb copy ls` and `tb sink ls` sort and show them).
 */
import { Hono } from "hono";
import type { AppEnv } from "../api/context.js";
import { ensureAllowed, requireAuth } from "../auth/require.js";
import { extractToken } from "../auth/extract-token.js";
import type { Principal } from "../auth/principal.js";
import type { LiveDeployment } from "../catalog/client.js";
import type { Platform } from "../platform/platform.js";
import { BadRequestError, NotFoundError } from "../../shared/errors.js";
import { authorize } from "../../shared/tokens/scopes.js";
import { extractParameters } from "../../shared/template/index.js";
import type { ManifestPipe } from "../../shared/deploy/manifest.js";
import { isScheduled } from "../../shared/cron/cron.js";
import type { CopyPublication, PipePublication } from "../../shared/datafiles/ast.js";

function pipeType(p: ManifestPipe): string {
  const t = p.file.publication.type;
  return t === "standard" ? "default" : t;
}

/**
 * A scheduled pipe's `schedule` as Tinybird shows it: the cron (UTC) and
 * whether it runs (`running`), was paused (`/copy/pause`), or has no cron
 * (`on-demand`, with `cron: null`). The same shape `/copy/pause` answers.
 */
function scheduleJson(schedule: string, paused: boolean) {
  const scheduled = isScheduled(schedule);
  return { timezone: "Etc/UTC", cron: scheduled ? schedule : null, status: paused ? "paused" : scheduled ? "running" : "on-demand" };
}

/** Tinybird's fields of a copy pipe (Copy Pipes API), plus Tern's `copy_after`. */
function copyFields(pub: CopyPublication, paused: boolean) {
  return {
    copy_node: pub.node,
    copy_mode: pub.mode,
    copy_schedule: pub.schedule,
    ...(pub.after?.length ? { copy_after: pub.after } : {}),
    schedule: scheduleJson(pub.schedule, paused),
  };
}

/** Tinybird's fields of a sink pipe (Sink Pipes API). */
function sinkFields(pub: Extract<PipePublication, { type: "sink" }>, paused: boolean) {
  return { sink_node: pub.node, schedule: scheduleJson(pub.schedule, paused) };
}

/**
 * A sink node's export settings, named as the datafile's `EXPORT_*` directives
 * are in Tinybird's node params (lower case): what the sink writes and where.
 * Connection and bucket names only; credentials live in the connection.
 */
function exportParams(pub: Extract<PipePublication, { type: "sink" }>) {
  const common = { export_connection_name: pub.connectionName, export_schedule: pub.schedule };
  if (pub.target === "kafka") return { ...common, export_kafka_topic: pub.topic };
  return {
    ...common,
    export_bucket_uri: pub.bucketUri,
    export_file_template: pub.fileTemplate,
    export_format: pub.format,
    export_compression: pub.compression,
    export_write_strategy: pub.strategy,
  };
}

/** What a pipe's description needs besides its manifest entry. */
export interface PipeState {
  /** Pipes whose schedule is paused (the catalog's `pipe_schedules`). */
  paused: ReadonlySet<string>;
  /** When the live deployment, which made every live pipe what it is, was created and last changed. */
  deployment?: { created_at: string; updated_at: string };
}

/**
 * A time as Tinybird's Pipes API writes it, `2026-01-02 03:04:05.678000`
 * (UTC, microseconds): `tb copy ls` shows it minus its last 7 characters.
 */
export function pipeTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace("T", " ")}.${String(d.getUTCMilliseconds()).padStart(3, "0")}000`;
}

/** A pipe as the Pipes API shows it; `withParams` adds each node's and the pipe's parameters. */
export function describePipe(p: ManifestPipe, withParams: boolean, state: PipeState = { paused: new Set() }) {
  const pub = p.file.publication;
  const paused = state.paused.has(p.name);
  return {
    id: p.name,
    name: p.name,
    description: p.file.description ?? "",
    type: pipeType(p),
    ...(state.deployment ? { created_at: pipeTime(state.deployment.created_at), updated_at: pipeTime(state.deployment.updated_at) } : {}),
    endpoint: pub.type === "endpoint" ? pub.node : null,
    materialized_datasource: pub.type === "materialized" ? pub.datasource : null,
    copy_target_datasource: pub.type === "copy" ? pub.targetDatasource : null,
    ...(pub.type === "copy" ? copyFields(pub, paused) : {}),
    ...(pub.type === "sink" ? sinkFields(pub, paused) : {}),
    nodes: p.file.nodes.map((n) => ({
      name: n.name,
      description: n.description ?? "",
      sql: n.sql,
      node_type: n.type,
      ...(pub.type === "sink" && n.name === pub.node ? exportParams(pub) : {}),
      ...(withParams ? { params: extractParameters([n.sql]) } : {}),
    })),
    ...(withParams ? { params: extractParameters(p.file.nodes.map((n) => n.sql)) } : {}),
  };
}

/**
 * From the catalog: the live deployment's times, and the paused pipes (asked
 * only when some of `pipes` has a schedule to pause).
 */
async function pipeState(platform: Platform, workspaceId: string, live: LiveDeployment | undefined, pipes: readonly ManifestPipe[]): Promise<PipeState> {
  const catalog = platform.catalog.workspace(workspaceId);
  const scheduled = pipes.some((p) => p.file.publication.type === "copy" || p.file.publication.type === "sink");
  const [schedules, deployment] = await Promise.all([scheduled ? catalog.pipeSchedules() : [], live && pipes.length ? catalog.getDeployment(live.id) : undefined]);
  return {
    paused: new Set(schedules.filter((s) => s.paused).map((s) => s.pipe)),
    ...(deployment ? { deployment: { created_at: deployment.created_at, updated_at: deployment.updated_at } } : {}),
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
  const pipes = readablePipes(principal, live);
  const state = await pipeState(c.get("platform"), principal.workspaceId, live, pipes);
  return c.json({ pipes: pipes.map((p) => describePipe(p, false, state)) });
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
  const { pipe } = readablePipe(principal, live, c.req.param("name"));
  return c.json(describePipe(pipe, true, await pipeState(c.get("platform"), principal.workspaceId, live, [pipe])));
});

/** Mounted at `/v1/pipes`: a pipe's datafile, which Tinybird's CLI reads there (`tb endpoint token`). */
export const pipesV1Routes = new Hono<AppEnv>();

pipesV1Routes.get("/:name{[^/.]+\\.pipe}", requireAuth(), async (c) => {
  const principal = c.get("principal");
  const live = await c.get("platform").catalog.liveDeployment(principal.workspaceId);
  const { datafile } = readablePipe(principal, live, c.req.param("name").replace(/\.pipe$/, ""));
  // Exactly `text/plain`: the CLI takes any other answer for JSON.
  return c.text(datafile, 200, { "content-type": "text/plain" });
});

const EXAMPLE_FORMATS = new Set(["json", "csv", "ndjson", "parquet", "prometheus"]);

/**
 * Mounted at `/examples`: `GET /examples/query.http?pipe=&format=&token=`
 * answers, as plain text, the URL that calls the endpoint with that token
 * (`tb endpoint ls` and `tb endpoint url` print it). The token must be able
 * to read the pipe.
 */
export const exampleRoutes = new Hono<AppEnv>();

exampleRoutes.get("/query.http", requireAuth(), async (c) => {
  const { pipe, format = "json", q, __tb__deployment: deployment } = c.req.query();
  if (!pipe) throw new BadRequestError("The 'pipe' parameter is required");
  if (!EXAMPLE_FORMATS.has(format)) throw new BadRequestError("format must be json, csv, ndjson, parquet or prometheus");
  const principal = c.get("principal");
  readablePipe(principal, await c.get("platform").catalog.liveDeployment(principal.workspaceId), pipe);
  const params = new URLSearchParams();
  if (q) params.set("q", q);
  if (deployment) params.set("__tb__deployment", deployment);
  params.set("token", extractToken(c.req.raw));
  const url = new URL(c.req.url);
  return c.text(`${url.origin}/v0/pipes/${encodeURIComponent(pipe)}.${format}?${params.toString()}`, 200, { "content-type": "text/plain; charset=utf-8" });
});
