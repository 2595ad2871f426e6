/**
 * @module mcp/schemas
 * An endpoint tool's input schema from its pipe's parameter signature (the
 * same `extractParameters` the OpenAPI document reads): one zod field per
 * template param, typed from its type function, described from its
 * `description=`, type and default, required only when the template says so;
 * plus `format`. The MCP SDK validates a call's arguments against it and
 * answers a bad one with an MCP error before the tool runs.
 */
import { z } from "zod";
import type { ParamSignature } from "../../shared/template/index.js";
import { RESERVED_PARAMS } from "../endpoints/params.js";

/** `format`: CSV unless the caller asks for JSON. */
export const formatField = z
  .enum(["csv", "json"])
  .optional()
  .describe("Result format: csv (default, with a header line) or json ({meta, data, rows})");

/** The zod type of one template param type (`Int32`, `Array(String)`, `DateTime`…). */
function paramType(type: string): z.ZodType {
  const array = /^Array\((.+)\)$/.exec(type);
  if (array) return z.array(paramType(array[1]!.trim()));
  if (/^U?Int(8|16|32)$/.test(type) || type === "Int" || type === "Integer") return z.number().int();
  // Past 2^53 an integer travels as a string of digits.
  if (/^U?Int(64|128|256)$/.test(type)) return z.union([z.number().int(), z.string().regex(/^-?\d+$/)]);
  if (/^Float(32|64)$/.test(type)) return z.number();
  if (type === "Boolean") return z.boolean();
  return z.string();
}

function describe(sig: ParamSignature): string {
  const parts = [sig.description, `${sig.type}${sig.type.startsWith("DateTime") ? " ('YYYY-MM-DD hh:mm:ss')" : sig.type === "Date" ? " ('YYYY-MM-DD')" : ""}`];
  if (sig.default !== null && sig.default !== undefined) parts.push(`default ${JSON.stringify(sig.default)}`);
  return parts.filter(Boolean).join("; ");
}

function field(sig: ParamSignature): z.ZodType {
  const strings = sig.enum?.every((v): v is string => typeof v === "string") ? (sig.enum as string[]) : undefined;
  const base = strings && strings.length > 0 ? z.enum(strings as [string, ...string[]]) : paramType(sig.type);
  const described = base.describe(describe(sig));
  return sig.required ? described : described.optional();
}

/** The input shape of an endpoint tool: its params (reserved names are options, never params) and `format`. */
export function endpointInputShape(signature: ParamSignature[]): Record<string, z.ZodType> {
  const shape: Record<string, z.ZodType> = {};
  for (const sig of signature) if (!RESERVED_PARAMS.has(sig.name)) shape[sig.name] = field(sig);
  shape.format = formatField;
  return shape;
}
