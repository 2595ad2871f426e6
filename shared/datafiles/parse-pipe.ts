/**
 * @module
 * `.pipe` files: nodes with SQL, and at most one published node (endpoint,
 * materialized view, copy or sink) configured by the directives after TYPE.
 */
import type { CopyPublication, PipeFile, PipeNode, PipePublication, NodeType, TokenGrant } from "./ast.js";
import {
  OnceTracker, parseTags, parseToken, positionOf, substitutedValue, unknownKeywordMessage, valuePosition,
  type DirectiveContext,
} from "./directives.js";
import type { SourcePosition } from "./errors.js";
import { dedentBlock, type Statement } from "./lexer.js";
import { checkCron, isCron, ON_DEMAND } from "../cron/cron.js";
import { parseBucketUri } from "../sinks/bucket-uri.js";
import { parseFileTemplate } from "../sinks/file-template.js";

const NODE_OPTION_KEYWORDS = [
  "DATASOURCE", "DEPLOYMENT_METHOD", "TARGET_DATASOURCE", "COPY_SCHEDULE", "COPY_MODE", "MODE", "COPY_AFTER", "CACHE",
  "CACHE_STALE_WHILE_REVALIDATE",
  "EXPORT_CONNECTION_NAME", "EXPORT_SCHEDULE", "EXPORT_KAFKA_TOPIC", "EXPORT_BUCKET_URI", "EXPORT_FILE_TEMPLATE",
  "EXPORT_FORMAT", "EXPORT_COMPRESSION", "EXPORT_STRATEGY", "EXPORT_WRITE_STRATEGY",
] as const;

const IGNORED_WITH_WARNING: Record<string, string> = {
  VERSION: "VERSION is deprecated and ignored",
  FILTER: "FILTER is a legacy directive and is ignored",
  SCOPE: "SCOPE is a legacy directive and is ignored",
  EXPORT_SERVICE: "EXPORT_SERVICE is deprecated and ignored; the connection decides the service",
};

export const PIPE_KEYWORDS: ReadonlySet<string> = new Set([
  "DESCRIPTION", "NODE", "SQL", "TYPE", "TOKEN", "TAGS", "INCLUDE", ...NODE_OPTION_KEYWORDS, ...Object.keys(IGNORED_WITH_WARNING),
]);

const NODE_TYPES: Record<string, NodeType> = {
  endpoint: "endpoint", materialized: "materialized", copy: "copy", sink: "sink", standard: "standard", default: "standard",
};


interface NodeDraft {
  statement: Statement;
  name: string;
  description?: string;
  sql?: { text: string; line: number; templated: boolean };
  type?: { value: NodeType; statement: Statement };
  options: Map<string, { value: string; statement: Statement }>;
}

export function parsePipeStatements(name: string, statements: Statement[], context: DirectiveContext): PipeFile {
  const { diagnostics } = context;
  const once = new OnceTracker(diagnostics);
  const tokens: TokenGrant[] = [];
  const tags: string[] = [];
  let description: string | undefined;
  const drafts: NodeDraft[] = [];
  let current: NodeDraft | undefined;

  const needNode = (st: Statement): NodeDraft | undefined => {
    if (!current) diagnostics.error(positionOf(st), `${st.keyword} must come after a NODE line`);
    return current;
  };

  for (const st of statements) {
    const kw = st.keyword;
    if (!PIPE_KEYWORDS.has(kw)) {
      diagnostics.error(positionOf(st), unknownKeywordMessage(kw, "pipe", PIPE_KEYWORDS));
      continue;
    }
    const ignored = IGNORED_WITH_WARNING[kw];
    if (ignored) { diagnostics.warn(positionOf(st), ignored); continue; }
    switch (kw) {
      case "DESCRIPTION": {
        const text = substitutedValue(st, context);
        if (current) {
          once.note(st, `node:${current.name}`);
          current.description = text;
        } else {
          once.note(st);
          description = text;
        }
        break;
      }
      case "TOKEN": { const t = parseToken(st, ["READ"], context); if (t) tokens.push(t); break; }
      case "TAGS": tags.push(...parseTags(substitutedValue(st, context))); break;
      case "NODE": {
        const nodeName = st.value.trim();
        if (nodeName === "") { diagnostics.error(valuePosition(st), "NODE needs a name, e.g. NODE endpoint"); current = undefined; break; }
        if (/\s/.test(nodeName)) diagnostics.error(valuePosition(st), `invalid node name \`${nodeName}\`; node names cannot contain spaces`);
        const duplicate = drafts.find((d) => d.name === nodeName);
        if (duplicate) diagnostics.error(valuePosition(st), `node \`${nodeName}\` is defined twice (first on line ${duplicate.statement.line})`);
        if (nodeName === name) diagnostics.warn(valuePosition(st), `node \`${nodeName}\` has the same name as its pipe; give it a different name`);
        current = { statement: st, name: nodeName, options: new Map() };
        drafts.push(current);
        break;
      }
      case "SQL": {
        const node = needNode(st);
        if (!node) break;
        if (!st.block) { diagnostics.error(positionOf(st), "SQL must be a block: write `SQL >` and the query on the following indented lines"); break; }
        if (node.sql) diagnostics.error(positionOf(st), `node \`${node.name}\` has more than one SQL block`);
        const lines = dedentBlock(st.block);
        const text = lines.map((l) => l.text).join("\n");
        if (text.trim() === "" || text.trim() === "%") { diagnostics.error(positionOf(st), `SQL block of node \`${node.name}\` is empty`); break; }
        node.sql = { text, line: lines[0]!.line, templated: text.startsWith("%") };
        break;
      }
      case "TYPE": {
        const node = needNode(st);
        if (!node) break;
        const type = NODE_TYPES[st.value.trim().toLowerCase()];
        if (!type) { diagnostics.error(valuePosition(st), `invalid TYPE \`${st.value}\`; expected endpoint, materialized, copy or sink`); break; }
        if (node.type) diagnostics.warn(positionOf(st), `node \`${node.name}\` has more than one TYPE; the last one is used`);
        node.type = { value: type, statement: st };
        break;
      }
      default: {
        const node = needNode(st);
        if (!node) break;
        const key = kw === "MODE" ? "COPY_MODE" : kw === "EXPORT_WRITE_STRATEGY" ? "EXPORT_STRATEGY" : kw;
        once.note(st, `node:${node.name}`);
        node.options.set(key, { value: substitutedValue(st, context).trim(), statement: st });
      }
    }
  }

  const nodes: PipeNode[] = [];
  for (const d of drafts) {
    if (!d.sql) { diagnostics.error(positionOf(d.statement), `node \`${d.name}\` has no SQL; add an \`SQL >\` block after NODE ${d.name}`); continue; }
    const node: PipeNode = {
      file: d.statement.file, line: d.statement.line, name: d.name, sql: d.sql.text, templated: d.sql.templated,
      sqlLine: d.sql.line, type: d.type?.value ?? "standard",
    };
    if (d.description !== undefined && d.description !== "") node.description = d.description;
    nodes.push(node);
  }
  if (!statements.some((st) => st.keyword === "NODE")) diagnostics.error({ file: context.path, line: 1, column: 1 }, "a pipe needs at least one NODE with an `SQL >` block");

  const published = drafts.filter((d) => d.type && d.type.value !== "standard");
  if (published.length > 1) {
    const second = published[1]!;
    diagnostics.error(positionOf(second.type!.statement), `a pipe can have only one endpoint, materialized, copy or sink node; \`${published[0]!.name}\` is already ${published[0]!.type!.value}`);
  }
  const publication = published[0] ? buildPublication(published[0], context) : ({ type: "standard" } as const);
  for (const d of drafts) {
    const used = d === published[0] ? optionsUsedBy(publication) : new Set<string>();
    for (const [kw, option] of d.options) {
      if (!used.has(kw)) diagnostics.warn(positionOf(option.statement), `${option.statement.keyword} does not apply to ${d.type ? `a ${d.type.value}` : "a standard"} node and is ignored`);
    }
  }

  const file: PipeFile = {
    kind: "pipe", name, path: context.path, tags, secrets: context.secrets, warnings: diagnostics.warnings,
    tokens, nodes, publication,
  };
  if (description !== undefined && description !== "") file.description = description;
  return file;
}

function optionsUsedBy(publication: PipePublication): Set<string> {
  switch (publication.type) {
    case "standard": return new Set();
    case "endpoint": return new Set(["CACHE", "CACHE_STALE_WHILE_REVALIDATE"]);
    case "materialized": return new Set(["DATASOURCE", "DEPLOYMENT_METHOD"]);
    case "copy": return new Set(["TARGET_DATASOURCE", "COPY_SCHEDULE", "COPY_MODE", "COPY_AFTER"]);
    case "sink": return publication.target === "kafka"
      ? new Set(["EXPORT_CONNECTION_NAME", "EXPORT_SCHEDULE", "EXPORT_KAFKA_TOPIC"])
      : new Set(["EXPORT_CONNECTION_NAME", "EXPORT_SCHEDULE", "EXPORT_BUCKET_URI", "EXPORT_FILE_TEMPLATE", "EXPORT_FORMAT", "EXPORT_COMPRESSION", "EXPORT_STRATEGY"]);
  }
}

/** Why a schedule is refused (croner's words), or undefined for a cron or `@on-demand`. */
function scheduleProblem(value: string): string | undefined {
  if (value.trim().toLowerCase() === ON_DEMAND) return undefined;
  const check = checkCron(value);
  return check.ok ? undefined : check.message;
}

function buildPublication(draft: NodeDraft, context: DirectiveContext): PipePublication {
  const { diagnostics } = context;
  const typeAt: SourcePosition = positionOf(draft.type!.statement);
  const opt = (kw: string) => draft.options.get(kw);
  const required = (kw: string, example: string): string => {
    const option = opt(kw);
    if (!option || option.value === "") {
      diagnostics.error(option ? valuePosition(option.statement) : typeAt, `TYPE ${draft.type!.value} needs ${kw}, e.g. ${kw} ${example}`);
      return "";
    }
    return option.value;
  };
  const schedule = (kw: string, fallback: string | undefined): string => {
    const option = opt(kw);
    if (!option) {
      if (fallback === undefined) diagnostics.error(typeAt, `TYPE ${draft.type!.value} needs ${kw}, e.g. ${kw} 0 * * * * or ${kw} @on-demand`);
      return fallback ?? "";
    }
    const problem = scheduleProblem(option.value);
    if (problem !== undefined) diagnostics.error(valuePosition(option.statement), `invalid ${kw} \`${option.value}\`: ${problem}; expected a cron expression in UTC such as 0 * * * *, or @on-demand`);
    return option.value;
  };
  const node = draft.name;
  switch (draft.type!.value) {
    case "standard": return { type: "standard" };
    case "endpoint": {
      const publication: PipePublication = { type: "endpoint", node };
      const cache = opt("CACHE");
      if (cache) {
        if (/^\d+$/.test(cache.value)) publication.cacheSeconds = Number(cache.value);
        else diagnostics.error(valuePosition(cache.statement), `invalid CACHE \`${cache.value}\`; expected a number of seconds`);
      }
      // Tern's extension: how long an expired answer may still be served while it is refreshed.
      const stale = opt("CACHE_STALE_WHILE_REVALIDATE");
      if (stale) {
        if (!/^\d+$/.test(stale.value)) diagnostics.error(valuePosition(stale.statement), `invalid CACHE_STALE_WHILE_REVALIDATE \`${stale.value}\`; expected a number of seconds`);
        else if (!cache) diagnostics.error(valuePosition(stale.statement), "CACHE_STALE_WHILE_REVALIDATE needs CACHE <seconds>");
        else publication.cacheStaleSeconds = Number(stale.value);
      }
      return publication;
    }
    case "materialized": {
      const publication: PipePublication = { type: "materialized", node, datasource: required("DATASOURCE", "<target_datasource>") };
      const method = opt("DEPLOYMENT_METHOD");
      if (method) {
        if (method.value.toLowerCase() === "alter") publication.deploymentMethod = "alter";
        else diagnostics.error(valuePosition(method.statement), `invalid DEPLOYMENT_METHOD \`${method.value}\`; expected alter`);
      }
      return publication;
    }
    case "copy": {
      const modeOption = opt("COPY_MODE");
      let mode: "append" | "replace" = "append";
      if (modeOption) {
        const v = modeOption.value.toLowerCase();
        if (v === "append" || v === "replace") mode = v;
        else diagnostics.error(valuePosition(modeOption.statement), `invalid COPY_MODE \`${modeOption.value}\`; expected append or replace`);
      }
      const publication: CopyPublication = { type: "copy", node, targetDatasource: required("TARGET_DATASOURCE", "<datasource>"), schedule: schedule("COPY_SCHEDULE", ON_DEMAND), mode };
      const after = opt("COPY_AFTER");
      if (after) {
        // Tern's extension: the copies this one runs after (shared/deploy/copy-dag.ts checks the names and cycles).
        const names = after.value.split(/[\s,]+/).filter((n) => n !== "");
        const bad = names.find((n) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(n));
        if (names.length === 0 || bad !== undefined) {
          diagnostics.error(valuePosition(after.statement), `invalid COPY_AFTER \`${after.value}\`; expected the names of copy pipes, e.g. COPY_AFTER load_events, load_users`);
        } else if (isCron(publication.schedule)) {
          diagnostics.error(positionOf(after.statement), `COPY_AFTER and a cron COPY_SCHEDULE do not go together: a copy with COPY_AFTER runs when the copies it names have finished; remove COPY_SCHEDULE`);
        } else {
          publication.after = names;
        }
      }
      return publication;
    }
    case "sink": {
      const connectionName = required("EXPORT_CONNECTION_NAME", "<connection>");
      const sched = schedule("EXPORT_SCHEDULE", undefined);
      if (opt("EXPORT_KAFKA_TOPIC")) {
        for (const kw of ["EXPORT_BUCKET_URI", "EXPORT_FILE_TEMPLATE", "EXPORT_FORMAT", "EXPORT_COMPRESSION", "EXPORT_STRATEGY"]) {
          const extra = opt(kw);
          if (extra) diagnostics.error(positionOf(extra.statement), `${extra.statement.keyword} is not allowed in a Kafka sink; Kafka sinks take only EXPORT_CONNECTION_NAME, EXPORT_KAFKA_TOPIC and EXPORT_SCHEDULE`);
        }
        return { type: "sink", target: "kafka", node, connectionName, schedule: sched, topic: required("EXPORT_KAFKA_TOPIC", "<topic>") };
      }
      const format = (opt("EXPORT_FORMAT")?.value ?? "csv").toLowerCase();
      if (!["csv", "ndjson", "parquet"].includes(format)) diagnostics.error(valuePosition(opt("EXPORT_FORMAT")!.statement), `invalid EXPORT_FORMAT \`${format}\`; expected csv, ndjson or parquet`);
      const compressionRaw = (opt("EXPORT_COMPRESSION")?.value ?? "none").toLowerCase();
      const compression = compressionRaw === "gz" ? "gzip" : compressionRaw;
      if (!["none", "gzip", "snappy"].includes(compression)) diagnostics.error(valuePosition(opt("EXPORT_COMPRESSION")!.statement), `invalid EXPORT_COMPRESSION \`${compressionRaw}\`; expected none, gzip or snappy`);
      const strategyRaw = (opt("EXPORT_STRATEGY")?.value ?? "new").toLowerCase();
      const strategy = strategyRaw === "create_new" ? "new" : strategyRaw === "replace" ? "truncate" : strategyRaw;
      if (strategy !== "new" && strategy !== "truncate") diagnostics.error(valuePosition(opt("EXPORT_STRATEGY")!.statement), `invalid ${opt("EXPORT_STRATEGY")!.statement.keyword} \`${strategyRaw}\`; expected create_new, replace, new or truncate`);
      const bucketUri = required("EXPORT_BUCKET_URI", "s3://bucket/prefix/");
      const fileTemplate = required("EXPORT_FILE_TEMPLATE", "events_{date}");
      // Their syntax now (shared/sinks); the template's names against the result's columns when the sink runs.
      const checks: Array<[string, string, { ok: true } | { ok: false; message: string }]> = [
        ["EXPORT_BUCKET_URI", bucketUri, parseBucketUri(bucketUri)],
        ["EXPORT_FILE_TEMPLATE", fileTemplate, parseFileTemplate(fileTemplate)],
      ];
      for (const [kw, value, check] of checks) {
        // A `${VAR}` or `{{ tb_secret() }}` still in place (a file read without its env) is checked once substituted.
        const unresolved = value.includes("${") || value.includes("{{");
        if (value !== "" && !unresolved && !check.ok) diagnostics.error(valuePosition(opt(kw)!.statement), check.message);
      }
      return {
        type: "sink", target: "bucket", node, connectionName, schedule: sched, bucketUri, fileTemplate,
        format: format as "csv", compression: compression as "none", strategy: strategy as "new",
      };
    }
  }
}
