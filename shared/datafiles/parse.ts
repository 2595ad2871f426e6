/**
 * @module
 * `parseDatafile`: the one entry point. The kind comes from the extension;
 * every problem found is returned, not just the first.
 */
import type { Datafile, DatafileKind, SecretRef } from "./ast.js";
import { looksLikeMisspeltKeyword, type DirectiveContext } from "./directives.js";
import { Diagnostics, type DatafileError } from "./errors.js";
import { lexDatafile, splitLines, type IncludeResolver } from "./lexer.js";
import { CONNECTION_KEYWORDS, parseConnectionStatements } from "./parse-connection.js";
import { DATASOURCE_KEYWORDS, parseDatasourceStatements } from "./parse-datasource.js";
import { PIPE_KEYWORDS, parsePipeStatements } from "./parse-pipe.js";
import type { Env } from "./values.js";

export interface ParseDatafileInput {
  /** Path as the caller knows it; used in errors and to pick the kind and name. */
  path: string;
  text: string;
  /** Values for `${VAR}` and `tb_secret("NAME")`; without it both are left as written. */
  env?: Env;
  /** Returns the text of an `INCLUDE`d file, or undefined when it does not exist. */
  include?: IncludeResolver;
}

export type ParseDatafileResult =
  | { ok: true; file: Datafile }
  | { ok: false; errors: DatafileError[] };

const EXTENSIONS: Record<string, DatafileKind> = { ".datasource": "datasource", ".pipe": "pipe", ".connection": "connection" };

// `SETTINGS` is a SQL clause too, so it must not end an SQL block in pipes.
const BLOCK_ENDERS: Record<DatafileKind, ReadonlySet<string>> = {
  datasource: DATASOURCE_KEYWORDS,
  pipe: PIPE_KEYWORDS,
  connection: CONNECTION_KEYWORDS,
};

/** Kind and resource name from a path such as `datasources/events.datasource`. */
export function datafileKindOf(path: string): { kind: DatafileKind; name: string } | undefined {
  const base = path.split(/[\\/]/).pop() ?? path;
  const dot = base.lastIndexOf(".");
  if (dot <= 0) return undefined;
  const kind = EXTENSIONS[base.slice(dot).toLowerCase()];
  return kind ? { kind, name: base.slice(0, dot) } : undefined;
}

/**
 * Parses one `.datasource`, `.pipe` or `.connection` file.
 *
 * @example
 * const result = parseDatafile({ path: "datasources/events.datasource", text });
 * if (!result.ok) for (const e of result.errors) console.error(e.message);
 */
export function parseDatafile(input: ParseDatafileInput): ParseDatafileResult {
  const diagnostics = new Diagnostics();
  const identity = datafileKindOf(input.path);
  if (!identity) {
    diagnostics.error({ file: input.path, line: 1, column: 1 }, "unknown datafile extension; expected .datasource, .pipe or .connection");
    return { ok: false, errors: diagnostics.errors };
  }
  const { kind, name } = identity;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    diagnostics.error({ file: input.path, line: 1, column: 1 }, `invalid resource name \`${name}\`; file names must match ^[a-zA-Z_][a-zA-Z0-9_]*$`);
  }
  const keywords = BLOCK_ENDERS[kind];
  const statements = lexDatafile({
    lines: splitLines(input.text, input.path),
    isKeyword: (word) => keywords.has(word) || looksLikeMisspeltKeyword(word, keywords),
    include: input.include,
    diagnostics,
  });
  const secrets: SecretRef[] = [];
  const context: DirectiveContext = { path: input.path, diagnostics, env: input.env, secrets };
  const file: Datafile =
    kind === "datasource" ? parseDatasourceStatements(name, statements, context)
    : kind === "pipe" ? parsePipeStatements(name, statements, context)
    : parseConnectionStatements(name, statements, context);
  if (diagnostics.errors.length > 0) {
    const sorted = [...diagnostics.errors].sort((a, b) => (a.file === b.file ? a.line - b.line || a.column - b.column : 0));
    return { ok: false, errors: sorted };
  }
  return { ok: true, file };
}
