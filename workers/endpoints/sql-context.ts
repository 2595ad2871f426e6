/**
 * @module endpoints/sql-context
 * Turns what a caller may read into SQL for ClickHouse: templates rendered
 * with the request params, pipes compiled into one query, and every table name
 * resolved inside the caller's workspace only. A READ scope's SQL filter wraps
 * its datasource (`(SELECT * FROM db.t WHERE (<filter>))`); another workspace's
 * database or `system.*` can never be named; `tinybird.<service>` reads the
 * workspace's view of the shared service table. A JWT's fixed params win over
 * the request's wherever a pipe it reads is rendered, on every path.
 */
import { compileTemplate, render, type CompiledTemplate, type Params } from "../../shared/template/index.js";
import { compilePipe } from "../../shared/sql/pipeline/index.js";
import { listTables, toTernError, tokenize, type TableResolution, type TableResolver } from "../../shared/sql/rewrite/index.js";
import { quoteQualifiedName } from "../../shared/sql/ddl/index.js";
import { SERVICE_DATASOURCES, serviceViewName } from "../../shared/service/datasources.js";
import { authorize, type Scope } from "../../shared/tokens/scopes.js";
import type { DeploymentManifest, ManifestPipe } from "../../shared/deploy/manifest.js";
import { BadRequestError, ForbiddenError } from "../../shared/errors.js";
import { isolateCache } from "../platform/caches.js";
import { paramValue, type PipeSecrets } from "./pipe-secrets.js";
import type { ReadShape } from "../clickhouse/read-guard.js";

export interface ReadContext {
  workspaceId: string;
  /** The workspace's ClickHouse database: the only one its reads may name. */
  database: string;
  manifestId: string;
  manifest: DeploymentManifest | undefined;
  scopes: readonly Scope[];
  params: Params;
  /** Query API: the caller must hold a READ scope on each datasource/pipe it names. */
  checkAccess: boolean;
  /**
   * ClickHouse interface: the database name clients see the workspace as (its
   * name), and the `system.*` tables it serves (schema-tables.ts).
   */
  schema?: { database: string; systemTable: (name: string) => TableResolution };
  /** The workspace's secrets for `tb_secret()` in pipe nodes; without them a `tb_secret` with no default fails. */
  secrets?: PipeSecrets;
}

export interface CompiledQuery {
  sql: string;
  /** ClickHouse settings the templates asked for (`max_threads`). */
  settings: Record<string, number | string>;
  /** `cache_ttl('5m')` in a node the answer is read from: keep this call's answer that long (endpoints/cache.ts). */
  cacheTtlSeconds?: number;
  /** The SQL's shape (each parameter literal marked): the read guard keeps its verdict by it. */
  shape?: ReadShape;
}

/** The TTLs `cache_ttl()` accepts (the template refuses any other), in seconds. */
const CACHE_TTL_SECONDS: Record<string, number> = { "5s": 5, "1m": 60, "5m": 300, "30m": 1800, "1h": 3600 };

/** Settings a template may set on its query (anything else is dropped). */
const TEMPLATE_SETTINGS = new Set(["max_threads", "allow_experimental_analyzer"]);
const MAX_PIPE_DEPTH = 8;

const compiledNodes = isolateCache<CompiledTemplate[]>("nodeTemplates");

/** Compiled node templates, cached per workspace, deployment and pipe (manifests never change). */
function nodeTemplates(ctx: ReadContext, pipe: ManifestPipe): CompiledTemplate[] {
  const key = `${ctx.workspaceId}\u0000${ctx.manifestId}\u0000${pipe.name}`;
  let hit = compiledNodes.get(key);
  if (!hit) {
    // Template errors are TernErrors with their own status (400, or custom_error's).
    hit = pipe.file.nodes.map((n) => compileTemplate(n.sql, { name: n.name }));
    compiledNodes.set(key, hit);
  }
  return hit;
}

/**
 * Compiled pipes by everything compilation depends on: the deployment, the
 * caller's scopes (filters, access checks), the target and the rendered SQL of
 * every node. Rewriting and assembling the nodes was the largest share of an
 * endpoint call's own CPU, and dashboards repeat the same calls. Only
 * compilations that read no other pipe are kept (a pipe read through a node
 * renders with the params, which the node SQL does not show).
 */
interface CompiledPipe {
  sql: string;
  nodes: string[];
  service: boolean;
}
const compiledPipes = isolateCache<CompiledPipe>("compiledPipes");

let isolateShapeBase: string | undefined;
/**
 * This isolate's nonce for shape markers (`shared/template/shape.ts`): random,
 * never sent anywhere, so no parameter, name or template can write a marker.
 * Made on first use (Workers allow no random values at module scope).
 */
function shapeBase(): string {
  isolateShapeBase ??= "t" + Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");
  return isolateShapeBase;
}

/** The node a pipe answers with: its published node, else its last one. */
export function targetNode(pipe: ManifestPipe): string {
  const p = pipe.file.publication;
  return p.type === "standard" ? pipe.file.nodes[pipe.file.nodes.length - 1]!.name : p.node;
}

/** A token filter must be a plain boolean expression: no tables, no statement breaks, balanced brackets. */
function checkedFilter(filter: string): string {
  const { tokens, error } = tokenize(filter);
  let depth = 0;
  for (const t of tokens) {
    if (t.text === "(") depth++;
    if (t.text === ")") depth--;
    if (depth < 0 || t.text === ";") break;
  }
  const listed = listTables(`SELECT 1 WHERE (${filter})`);
  if (error || depth !== 0 || tokens.some((t) => t.text === ";") || !listed.ok || listed.tables.length > 0 || listed.tableFunctions.length > 0) {
    throw new ForbiddenError("The token's filter is not a valid SQL condition");
  }
  return filter;
}

function withFilters(from: string, filters: readonly string[]): TableResolution {
  if (filters.length === 0) return undefined;
  const where = filters.map((f) => `(${checkedFilter(f)})`).join(" OR ");
  return { subquery: `SELECT * FROM ${from} WHERE ${where}` };
}

export class SqlContext {
  private depth = 0;
  /** Params pipes render with: the request's, then fixed params of the scopes on the way down. */
  private params: Params;
  /** A `tinybird.*` view was named: the caller makes sure the workspace's views exist before running. */
  usesServiceViews = false;
  /** Secrets the rendered nodes read as query parameters (`queryParams()` binds them). */
  private readonly secretsUsed = new Set<string>();
  constructor(readonly ctx: ReadContext) {
    this.params = ctx.params;
  }

  /**
   * The ClickHouse query parameters the compiled SQL needs (the secrets its
   * nodes read), as raw `param_<name>` values; undefined when none.
   */
  queryParams(): Record<string, string> | undefined {
    const secrets = this.ctx.secrets;
    if (!secrets || this.secretsUsed.size === 0) return undefined;
    const out: Record<string, string> = {};
    for (const name of this.secretsUsed) out[secrets.prefix + name] = paramValue(secrets.values[name]!);
    return out;
  }

  /** The values of the secrets `queryParams()` binds, to keep out of error texts. */
  secretValues(): string[] {
    const secrets = this.ctx.secrets;
    return secrets ? [...this.secretsUsed].map((name) => secrets.values[name]!) : [];
  }

  /** Datasources (and `_quarantine`), pipes, service datasources: the workspace's namespace. */
  resolver(extra?: (name: string) => TableResolution | null): TableResolver {
    return (name, db) => {
      if (db !== undefined) return this.resolveQualified(name, db);
      const local = extra?.(name);
      if (local) return local;
      return this.resolveName(name);
    };
  }

  private resolveQualified(name: string, db: string): TableResolution {
    if (db === "tinybird") {
      if (this.checking && !authorize(this.ctx.scopes, { kind: "read_all" }).allowed) {
        return { error: `Resource 'tinybird.${name}' needs the ADMIN or WORKSPACE:READ_ALL scope` };
      }
      if (!SERVICE_DATASOURCES.some((d) => d.name === name)) return undefined;
      this.usesServiceViews = true;
      return { database: this.ctx.database, table: serviceViewName(name) };
    }
    const schema = this.ctx.schema;
    if (schema && db === schema.database) return this.resolveName(name);
    if (schema && db === "system") return schema.systemTable(name);
    return { error: `Resource '${db}.${name}' is not accessible: only this workspace's datasources and pipes, and tinybird.* service datasources, can be queried` };
  }

  /** Scopes are checked on what the caller's SQL names, not on what a pipe it may read reads. */
  private get checking(): boolean {
    return this.ctx.checkAccess && this.depth === 0;
  }

  private resolveName(name: string): TableResolution {
    const manifest = this.ctx.manifest;
    if (!manifest) return undefined;
    const ds = manifest.datasources[name];
    const quarantineOf = name.endsWith("_quarantine") ? manifest.datasources[name.slice(0, -"_quarantine".length)] : undefined;
    if (ds || quarantineOf) {
      const table = ds ? ds.table : quarantineOf!.quarantineTable;
      const grant = authorize(this.ctx.scopes, { kind: "read_datasource", datasource: name });
      if (this.checking && !grant.allowed) return { error: `Resource '${name}' needs the DATASOURCES:READ:${name} scope` };
      const from = quoteQualifiedName(manifest.database, table);
      return withFilters(from, grant.allowed ? grant.filters : []) ?? { database: manifest.database, table };
    }
    const pipe = manifest.pipes[name];
    if (pipe) {
      const grant = authorize(this.ctx.scopes, { kind: "read_pipe", pipe: name });
      if (this.checking && !grant.allowed) return { error: `Resource '${name}' needs the PIPES:READ:${name} scope` };
      const fixed = grant.allowed ? (grant.fixedParams as Params) : {};
      return { subquery: this.pipeSql(pipe, targetNode(pipe), grant.allowed ? grant.filters : [], undefined, fixed).sql };
    }
    return undefined;
  }

  /**
   * Renders the pipe's nodes with the request params and compiles `target`
   * into one query. A node whose render fails only fails the call when the
   * target actually reads it.
   */
  pipeSql(
    pipe: ManifestPipe,
    target: string,
    pipeFilters: readonly string[] = [],
    extra?: (name: string) => TableResolution | null,
    fixedParams: Params = {},
  ): CompiledQuery {
    if (++this.depth > MAX_PIPE_DEPTH) throw new BadRequestError(`Pipes read each other more than ${MAX_PIPE_DEPTH} levels deep`);
    const outer = this.params;
    this.params = { ...outer, ...fixedParams };
    try {
      const templates = nodeTemplates(this.ctx, pipe);
      const failures = new Map<string, unknown>();
      const settingsByNode = new Map<string, Record<string, number | string>>();
      const ttlByNode = new Map<string, number>();
      // The called pipe's render also gives its shape (literals marked), unless a node resolver of the caller's is in play.
      const base = this.depth === 1 && !extra ? shapeBase() : undefined;
      const shapes = base === undefined ? undefined : { base, nodes: [] as string[], literals: {} as Record<string, string> };
      const nodes = pipe.file.nodes.map((n, i) => {
        try {
          const secrets = this.ctx.secrets;
          const out = render(templates[i]!, this.params, {
            ...(secrets ? { secrets: Object.keys(secrets.values), secretParamPrefix: secrets.prefix } : {}),
            ...(base !== undefined ? { shapeNonce: `${base}n${i}` } : {}),
          });
          if (shapes && out.shape) {
            shapes.nodes[i] = out.shape.text;
            out.shape.literals.forEach((literal, j) => (shapes.literals[`n${i}_${j}`] = literal));
          }
          for (const name of out.queryParams) this.secretsUsed.add(name);
          settingsByNode.set(n.name, out.settings);
          const ttl = out.meta.cacheTtl === undefined ? undefined : CACHE_TTL_SECONDS[out.meta.cacheTtl];
          if (ttl !== undefined) ttlByNode.set(n.name, ttl);
          return { name: n.name, sql: out.sql };
        } catch (e) {
          failures.set(n.name, e);
          if (shapes) shapes.nodes[i] = "SELECT 1";
          return { name: n.name, sql: "SELECT 1" };
        }
      });
      const key = extra
        ? undefined
        : JSON.stringify([this.ctx.workspaceId, this.ctx.manifestId, pipe.name, target, this.checking, this.ctx.scopes, nodes.map((n) => n.sql)]);
      const { compiled, readsPipe } = this.compileNodes(nodes, target, key, extra, failures);
      // The read's shape, for the read guard: the same compilation over the nodes' shapes (cached by them).
      let shape: ReadShape | undefined;
      if (shapes && !readsPipe && key !== undefined) {
        const shapeKey = JSON.stringify(["shape", this.ctx.workspaceId, this.ctx.manifestId, pipe.name, target, this.checking, this.ctx.scopes, shapes.nodes]);
        const shaped = this.compileNodes(pipe.file.nodes.map((n, i) => ({ name: n.name, sql: shapes.nodes[i]! })), target, shapeKey, undefined, failures, true);
        if (shaped.compiled && !shaped.readsPipe) shape = { text: shaped.compiled.sql, base: shapes.base, literals: shapes.literals };
      }
      if (compiled.service) this.usesServiceViews = true;
      for (const n of compiled.nodes) if (failures.has(n)) throw failures.get(n);
      const settings: Record<string, number | string> = {};
      for (const n of compiled.nodes) {
        for (const [k, v] of Object.entries(settingsByNode.get(n) ?? {})) if (TEMPLATE_SETTINGS.has(k)) settings[k] = v;
      }
      const filtered = (inner: string) => (pipeFilters.length ? `SELECT * FROM (\n${inner}\n) WHERE ${pipeFilters.map((f) => `(${checkedFilter(f)})`).join(" OR ")}` : inner);
      const sql = filtered(compiled.sql);
      if (shape) shape = { ...shape, text: filtered(shape.text) };
      // The called pipe's own nodes decide its caching; a pipe it reads through a node does not.
      const ttls = this.depth === 1 ? compiled.nodes.flatMap((n) => (ttlByNode.has(n) ? [ttlByNode.get(n)!] : [])) : [];
      return { sql, settings, ...(ttls.length ? { cacheTtlSeconds: Math.min(...ttls) } : {}), ...(shape ? { shape } : {}) };
    } finally {
      this.depth--;
      this.params = outer;
    }
  }

  /**
   * One compilation of rendered nodes, cached by `key` when no node reads a
   * pipe. `quiet` (a shape's compilation): a failure gives no result instead of an error.
   */
  private compileNodes(
    nodes: { name: string; sql: string }[],
    target: string,
    key: string | undefined,
    extra: ((name: string) => TableResolution | null) | undefined,
    failures: Map<string, unknown>,
    quiet: true,
  ): { compiled: CompiledPipe | undefined; readsPipe: boolean };
  private compileNodes(
    nodes: { name: string; sql: string }[],
    target: string,
    key: string | undefined,
    extra: ((name: string) => TableResolution | null) | undefined,
    failures: Map<string, unknown>,
  ): { compiled: CompiledPipe; readsPipe: boolean };
  private compileNodes(
    nodes: { name: string; sql: string }[],
    target: string,
    key: string | undefined,
    extra: ((name: string) => TableResolution | null) | undefined,
    failures: Map<string, unknown>,
    quiet = false,
  ): { compiled: CompiledPipe | undefined; readsPipe: boolean } {
    const hit = key === undefined ? undefined : compiledPipes.get(key);
    if (hit) return { compiled: hit, readsPipe: false };
    let readsPipe = false;
    const before = this.usesServiceViews;
    this.usesServiceViews = false;
    const resolve = this.resolver(extra);
    const result = compilePipe(nodes, target, (name, db) => {
      const resolution = resolve(name, db);
      if (db === undefined && this.ctx.manifest?.pipes[name]) readsPipe = true;
      return resolution;
    });
    const service = this.usesServiceViews;
    this.usesServiceViews ||= before;
    if (!result.ok) {
      if (quiet) return { compiled: undefined, readsPipe };
      // Render errors come first: a missing param says more than the SQL it broke.
      const failed = result.error.node !== undefined && failures.get(result.error.node);
      if (failed) throw failed;
      throw toTernError(result.error);
    }
    const compiled = { sql: result.sql, nodes: result.nodes, service };
    if (key !== undefined && !readsPipe) compiledPipes.set(key, compiled);
    return { compiled, readsPipe };
  }
}

/** Renders a templated Query API statement (`%` first line) with the request params. */
export function renderStatement(sql: string, params: Params): CompiledQuery {
  const out = render(compileTemplate(sql), params);
  const settings: Record<string, number | string> = {};
  for (const [k, v] of Object.entries(out.settings)) if (TEMPLATE_SETTINGS.has(k)) settings[k] = v;
  return { sql: out.sql, settings };
}
