/**
 * @module endpoints/openapi
 * OpenAPI 3 description of the endpoints a token can call, built from each
 * pipe's parameter signature (`extractParameters` over its node templates):
 * one path per endpoint and format, `/pipes/<name>.<ext>`, under `/v0`.
 */
import type { DeploymentManifest, ManifestPipe } from "../../shared/deploy/manifest.js";
import { extractParameters, type ParamSignature } from "../../shared/template/index.js";
import { authorize } from "../../shared/tokens/scopes.js";
import type { Principal } from "../auth/principal.js";
import { ENDPOINT_FORMATS } from "../../shared/format/formats.js";

type Schema = Record<string, unknown>;

/** JSON Schema of one template param type (`Int32`, `Array(String)`, `DateTime`…). */
export function paramSchema(type: string): Schema {
  const array = /^Array\((.+)\)$/.exec(type);
  if (array) return { type: "array", items: paramSchema(array[1]!.trim()) };
  if (/^U?Int(8|16|32)$/.test(type) || type === "Int" || type === "Integer") return { type: "integer", format: "int32" };
  if (/^U?Int(64|128|256)$/.test(type)) return { type: "integer", format: "int64" };
  if (/^Float(32|64)$/.test(type)) return { type: "number", format: type === "Float32" ? "float" : "double" };
  if (type === "Boolean") return { type: "boolean" };
  if (type === "Date") return { type: "string", format: "date", example: "2024-01-01" };
  if (type.startsWith("DateTime")) return { type: "string", example: "2024-01-01 00:00:00" };
  return { type: "string" };
}

function parameter(sig: ParamSignature): Schema {
  const schema: Schema = paramSchema(sig.type);
  if (sig.default !== null && sig.default !== undefined) schema.default = sig.default;
  if (sig.enum) schema.enum = sig.enum;
  if (sig.example !== undefined) schema.example = sig.example;
  if (sig.format) schema.format = sig.format;
  return {
    name: sig.name,
    in: "query",
    required: sig.required,
    ...(sig.description ? { description: sig.description } : {}),
    ...(schema.type === "array" ? { style: "form", explode: true } : {}),
    schema,
  };
}

const signatures = new WeakMap<ManifestPipe, ParamSignature[]>();

export function pipeParameters(pipe: ManifestPipe): ParamSignature[] {
  let sig = signatures.get(pipe);
  if (!sig) {
    sig = extractParameters(pipe.file.nodes.map((n) => n.sql));
    signatures.set(pipe, sig);
  }
  return sig;
}

const ERROR_RESPONSE = {
  content: { "application/json": { schema: { type: "object", properties: { error: { type: "string" } }, required: ["error"] } } },
};

function operation(name: string, pipe: ManifestPipe, ext: string): Schema {
  const contentType = ENDPOINT_FORMATS[ext]!.contentType.split(";")[0]!;
  const ok =
    ext === "json"
      ? {
          type: "object",
          properties: {
            meta: { type: "array", items: { type: "object", properties: { name: { type: "string" }, type: { type: "string" } } } },
            data: { type: "array", items: { type: "object" } },
            rows: { type: "integer" },
            rows_before_limit_at_least: { type: "integer" },
            statistics: {
              type: "object",
              properties: { elapsed: { type: "number" }, rows_read: { type: "integer" }, bytes_read: { type: "integer" } },
            },
          },
        }
      : { type: "string", ...(ext === "parquet" ? { format: "binary" } : {}) };
  return {
    get: {
      operationId: `${name}_${ext}`,
      summary: pipe.file.description ?? `Call the ${name} endpoint (${ext})`,
      ...(pipe.file.description ? { description: pipe.file.description } : {}),
      parameters: [
        ...pipeParameters(pipe).map(parameter),
        { name: "q", in: "query", required: false, description: "SQL over the endpoint result, read as `_`", schema: { type: "string" } },
      ],
      responses: {
        "200": { description: "The endpoint result", content: { [contentType]: { schema: ok } } },
        "400": { description: "Invalid parameters or SQL", ...ERROR_RESPONSE },
        "403": { description: "The token cannot read this endpoint", ...ERROR_RESPONSE },
        "404": { description: "No such endpoint", ...ERROR_RESPONSE },
        "408": { description: "The query ran out of time", ...ERROR_RESPONSE },
        "429": { description: "Rate limited", ...ERROR_RESPONSE },
      },
    },
  };
}

/** The document for every endpoint the caller may read, or for `only`; `origin` is the server's, as the caller reached it. */
export function openApiDocument(principal: Principal, doc: { manifest: DeploymentManifest | undefined; only?: string; origin: string }): Schema {
  const { manifest, only, origin } = doc;
  const scopes = principal.scopes;
  const paths: Record<string, Schema> = {};
  for (const [name, pipe] of Object.entries(manifest?.pipes ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    if (pipe.file.publication.type !== "endpoint") continue;
    if (only !== undefined && name !== only) continue;
    if (!authorize(scopes, { kind: "read_pipe", pipe: name }).allowed) continue;
    for (const ext of Object.keys(ENDPOINT_FORMATS)) paths[`/pipes/${name}.${ext}`] = operation(name, pipe, ext);
  }
  return {
    openapi: "3.0.3",
    info: { title: only ? `${only} API endpoint` : "API endpoints", version: "1.0.0" },
    servers: [{ url: `${origin}/v0` }],
    paths,
    components: {
      securitySchemes: {
        TokenBearer: { type: "http", scheme: "bearer" },
        TokenQuery: { type: "apiKey", in: "query", name: "token" },
      },
    },
    security: [{ TokenBearer: [] }, { TokenQuery: [] }],
  };
}
