/**
 * @module
 * Template errors. They are TernErrors (`../errors.ts`): each carries the HTTP
 * `status` the endpoint answers with (400, or the code given to
 * `custom_error`) and Tinybird's message text, so the one error mapping
 * answers `{"error": err.message}` with that status as is. A JavaScript error
 * the renderer translates into Tinybird's wording is kept as the `cause`.
 */
import { TernError, type TernErrorOptions } from "../errors.js";

export const SYNTAX_PREFIX = "Template Syntax Error: ";
export const REQUIRED_PARAM_NOT_DEFINED = "Required parameter is not defined";
const DOCS = "/cli/advanced-templates.html";

/** Base class of everything the template layer throws. */
export class TemplateError extends TernError {
  readonly status: number;
  /** Tinybird's documentation path, when its error carries one. */
  readonly documentation: string | undefined;
  constructor(message: string, status = 400, documentation?: string, options?: TernErrorOptions) {
    super(message, options);
    this.name = "TemplateError";
    this.status = status;
    this.documentation = documentation;
  }
}

/** Tinybird's `SQLTemplateException`: message prefixed with `Template Syntax Error: `. */
export class SqlTemplateError extends TemplateError {
  /** The message without the prefix. */
  readonly detail: string;
  constructor(detail: string, documentation: string | undefined = DOCS, options?: TernErrorOptions) {
    super(SYNTAX_PREFIX + detail, 400, documentation, options);
    this.name = "SqlTemplateError";
    this.detail = detail;
  }
}

/** A type function got no value, no default and `defined=True`. */
export class MissingParameterError extends SqlTemplateError {
  constructor(detail: string = REQUIRED_PARAM_NOT_DEFINED) {
    super(detail);
    this.name = "MissingParameterError";
  }
}

/** A value failed its type's validation (`Error validating 'x' to type Int32`). */
export class InvalidParameterError extends SqlTemplateError {
  constructor(detail: string) {
    super(detail);
    this.name = "InvalidParameterError";
  }
}

/** `{{ expr }}` evaluated to null. */
export class NullExpressionError extends SqlTemplateError {
  constructor(detail: string) {
    super(detail);
    this.name = "NullExpressionError";
  }
}

/** Something outside the expression sandbox (function, method, operator). */
export class SandboxError extends SqlTemplateError {
  constructor(detail: string) {
    super(detail, undefined);
    this.name = "SandboxError";
  }
}

/** Template structure errors (Tornado `ParseError`, unclosed blocks, Python syntax errors). */
export class TemplateParseError extends TemplateError {
  constructor(message: string) {
    super(message);
    this.name = "TemplateParseError";
  }
}

/** Python `ValueError`/`TypeError` surfacing with their raw message. */
export class TemplateValueError extends TemplateError {
  constructor(message: string, options?: TernErrorOptions) {
    super(message, 400, undefined, options);
    this.name = "TemplateValueError";
  }
}

/** Python `IndexError`/`KeyError`/`AttributeError` raised while evaluating. */
export class TemplateLookupError extends TemplateError {
  readonly kind: "index" | "key" | "attribute";
  constructor(message: string, kind: "index" | "key" | "attribute") {
    super(message);
    this.name = "TemplateLookupError";
    this.kind = kind;
  }
}

/** A local set by `{% set %}`/`{% for %}` read before assignment (Python `UnboundLocalError`). */
export class UnboundLocalTemplateError extends TemplateError {
  constructor(readonly variable: string) {
    super(`cannot access local variable '${variable}' where it is not associated with a value`);
    this.name = "UnboundLocalTemplateError";
  }
}

/** `error(msg)`: answers 400 with the message as is. */
export class TemplateUserError extends TemplateError {
  constructor(message: string) {
    super(message, 400);
    this.name = "TemplateUserError";
  }
}

/** `custom_error(payload, code)`: answers `code` with the payload. */
export class TemplateCustomError extends TemplateError {
  /** A string, or a JSON-able object when the template passed a dict. */
  readonly payload: unknown;
  constructor(message: string, status: number, payload: unknown) {
    super(message, status);
    this.name = "TemplateCustomError";
    this.payload = payload;
  }
}

/** A parameter name Tinybird rejects (`format`, `q`). */
export class ReservedParameterError extends TemplateError {
  constructor(name: string, line: number) {
    super(`"${name}" can not be used as a variable name, line ${line}`);
    this.name = "ReservedParameterError";
  }
}
