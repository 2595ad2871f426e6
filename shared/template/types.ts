/**
 * @module
 * Public types of the template engine.
 */

import type { Node } from "./parse.js";
import type { RenderShape } from "./shape.js";
import type { VarEntry } from "./signature.js";

/**
 * A parameter value as it arrives: query-string values are strings (a
 * repeated key gives an array); a JSON body may also carry numbers, booleans,
 * arrays and objects.
 */
export type ParamValue = string | number | boolean | null | bigint | readonly ParamValue[] | { readonly [k: string]: ParamValue };

export type Params = Readonly<Record<string, ParamValue | undefined>>;

/** One parameter as declared by a template (for OpenAPI and MCP tool schemas). */
export interface ParamSignature {
  name: string;
  /** `String`, `Int32`, `DateTime`, `Array(Int32)`, `JSON`, `Boolean`… (`String` when untyped). */
  type: string;
  /** The literal default from the template, or `null`. Ints beyond 2^53 are strings. */
  default: unknown;
  /** The `required=` metadata (false when absent). */
  required: boolean;
  description?: string;
  example?: unknown;
  format?: string;
  enum?: unknown[];
  /** True when only used as `defined(x)`, `column(x)`… with no type function. */
  untyped?: boolean;
}

export interface RenderOptions {
  /**
   * `"normal"` (default): endpoint calls. `"check"`: Tinybird's test mode, used
   * by `tern check`/build: unsupplied params become placeholders, type
   * functions render a type-correct sample (`toInt32('0')`, `'2019-01-01'`,
   * `'__no_value__'`…), and `error()`/`custom_error()` do not abort.
   */
  mode?: "normal" | "check";
  /** Names of workspace secrets available to `tb_secret()`/`tb_var()`. */
  secrets?: readonly string[];
  /**
   * Put before a secret's name in the `{name: String}` it renders as (default
   * none, as Tinybird). A caller that binds the values picks a name its
   * callers' own SQL and params cannot reach.
   */
  secretParamPrefix?: string;
  /** Clock for `job_timestamp` (copy/sink runs). */
  now?: () => Date;
  /**
   * Also produce the render's shape (`RenderResult.shape`, `shape.ts`), its
   * markers made with this nonce (8+ letters and digits nobody else knows).
   */
  shapeNonce?: string;
}

/** Render-side metadata set by `max_threads()`, `cache_ttl()`… */
export interface RenderMeta {
  maxThreads?: number;
  cacheTtl?: string;
  backendHint?: string | null;
  activate?: string;
  disable?: string;
}

export interface RenderResult {
  sql: string;
  /** ClickHouse settings to send with the query (e.g. `max_threads`). */
  settings: Record<string, number | string>;
  /** Parameter names the render looked up (supplied or not). */
  variablesUsed: string[];
  /** Secrets rendered as `{<prefix>NAME: String}`: bind them as ClickHouse `param_<prefix>NAME`. */
  queryParams: string[];
  meta: RenderMeta;
  /** With `shapeNonce`: the SQL with each inserted literal replaced by a marker naming its type. */
  shape?: RenderShape;
}

/** A template parsed once, rendered many times. Treat as opaque. */
export interface CompiledTemplate {
  readonly source: string;
  readonly templated: boolean;
  /** Reserved names used as parameters (Tinybird warns about them). */
  readonly warnings: readonly string[];
  /** @internal */
  readonly nodes: readonly Node[];
  /** @internal */
  readonly localNames: ReadonlySet<string>;
  /** @internal Tinybird's per-template variable list (duplicates kept). */
  readonly vars: readonly VarEntry[];
  /** @internal Array-typed params, for Tinybird's value pre-processing. */
  readonly arrayParams: ReadonlyMap<string, string>;
  readonly usesJobTimestamp: boolean;
  readonly usesSecrets: boolean;
}

/** Mutable per-render state, reachable from the functions. @internal */
export interface RenderState {
  check: boolean;
  settings: Record<string, number | string>;
  meta: RenderMeta;
  secrets: ReadonlySet<string>;
  secretsTestMode: boolean;
  secretParamPrefix: string;
  queryParams: Set<string>;
}
