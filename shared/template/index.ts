/**
 * @module
 * Tinybird's SQL template language for pipe nodes. See README.md.
 */

export { compileTemplate, extractParameters, isTemplated, render } from "./render.js";
export type {
  CompiledTemplate,
  ParamSignature,
  ParamValue,
  Params,
  RenderMeta,
  RenderOptions,
  RenderResult,
} from "./types.js";
export {
  InvalidParameterError,
  MissingParameterError,
  NullExpressionError,
  ReservedParameterError,
  SandboxError,
  SqlTemplateError,
  TemplateCustomError,
  TemplateError,
  TemplateLookupError,
  TemplateParseError,
  TemplateUserError,
  TemplateValueError,
  UnboundLocalTemplateError,
} from "./errors.js";
export { fillShape, isLiteralOf, probeLiteral, shapeMarkers, type RenderShape } from "./shape.js";
export { escapeIdentifier, escapeString, quoteIdentifier, quoteString } from "./escape.js";
