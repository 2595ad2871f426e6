/**
 * The engine's own parser and lexer, asked through SQL on short-lived admin
 * connections: the canonical one-line form of a statement
 * (`formatQuerySingleLine`), its tokens (`tokenizeQuery`) and its syntax tree
 * (`EXPLAIN AST`). Every security decision of this server about statement
 * text comes from here, never from a lexer of ours.
 *
 * The text under examination only ever travels inside a string literal, so it
 * cannot run; `EXPLAIN AST` is sent only for text already known to be one
 * statement. Checks run on their own connections, outside the connection
 * pool, so checks keep answering while the pool is saturated, and a check
 * never sees a request's settings or readonly mode. A connection whose check
 * was a read (SELECT of a function of a literal, EXPLAIN AST) and succeeded
 * is kept for the next check (up to `IDLE_CONNECTIONS`): reads never change
 * the session, and query parameters apply to one query only. A connection
 * that ran anything else (the `SET` that validates a profile's value) or
 * failed is closed.
 */
import type { Connection, Engine } from "./engine.js";
import { ClickHouseException, toClickHouseException } from "./errors.js";
import { quoteString, statementKind } from "./sql.js";
import { Lru } from "../shared/lru.js";

export { Lru };

export interface Token {
  begin: number;
  end: number;
  type: string;
}

/** Statements up to this many bytes get their canonical form cached. */
const CACHEABLE_BYTES = 64 * 1024;
const CACHE_ENTRIES = 1000;
/** Check connections kept open between checks. */
const IDLE_CONNECTIONS = 4;


/**
 * The engine reports an error of the checking function with the checking
 * query appended (`…: In scope SELECT formatQuerySingleLine('…')`); the client
 * must see the error about its own text, as ClickHouse's HTTP interface gives it.
 */
function withoutScope(e: unknown): ClickHouseException {
  const ce = toClickHouseException(e);
  const at = ce.text.search(/: In scope SELECT (formatQuerySingleLine|tokenizeQuery)\(/);
  if (at < 0) return ce;
  const message = ce.text.slice(0, at).replace(/^Code: \d+\. DB::Exception: /, "");
  return new ClickHouseException(ce.code, message, ce.typeName);
}

export class EngineParser {
  readonly #canonical = new Lru<string>(CACHE_ENTRIES);
  readonly #args: string[];
  readonly #idle: Connection[] = [];

  constructor(
    private readonly engine: Engine,
    /** Largest statement text the checks accept (the engine's max_query_size for them). */
    maxTextBytes: number,
  ) {
    // The checked text travels escaped inside a literal: up to twice its size, plus the wrapper.
    this.#args = [`--max_query_size=${2 * maxTextBytes + 4096}`];
  }

  /** Runs `sql` on an admin connection of the checks and returns the raw result. */
  async query(sql: string, format: string, params?: Record<string, string>): Promise<Uint8Array> {
    const conn = this.#idle.pop() ?? this.engine.connect(this.#args);
    let ok = false;
    try {
      const bytes = (await conn.query(sql, format, params)).bytes;
      ok = true;
      return bytes;
    } finally {
      if (ok && conn.idle && statementKind(sql) === "read" && this.#idle.length < IDLE_CONNECTIONS) this.#idle.push(conn);
      else await conn.close();
    }
  }

  /** Closes the kept connections (the server is shutting down). */
  async close(): Promise<void> {
    await Promise.all(this.#idle.splice(0).map((c) => c.close()));
  }

  /**
   * The statement in the engine's canonical one-line form. Throws the engine's
   * own syntax error, including `Multi-statements are not allowed` when the
   * text holds a second statement; INSERT data is not part of the result.
   */
  async canonical(text: string): Promise<string> {
    const cacheable = text.length <= CACHEABLE_BYTES;
    const hit = cacheable ? this.#canonical.get(text) : undefined;
    if (hit !== undefined) return hit;
    let out: Uint8Array;
    try {
      out = await this.query(`SELECT formatQuerySingleLine(${quoteString(text)}) AS f`, "JSONEachRow");
    } catch (e) {
      throw withoutScope(e);
    }
    const f = (JSON.parse(Buffer.from(out).toString("utf8")) as { f: string }).f;
    if (cacheable) this.#canonical.set(text, f);
    return f;
  }

  /** The engine lexer's tokens of `text`, with byte offsets into its UTF-8 encoding. */
  async tokens(text: string): Promise<Token[]> {
    let out: Uint8Array;
    try {
      out = await this.query(`SELECT tokenizeQuery(${quoteString(text)}) AS t`, "JSONEachRow");
    } catch (e) {
      throw withoutScope(e);
    }
    return (JSON.parse(Buffer.from(out).toString("utf8")) as { t: Token[] }).t;
  }

  /**
   * The `EXPLAIN AST` dump of one statement. Query parameters are bound by the
   * engine (an `Identifier` parameter can name a table), so they must be the
   * request's own; the caller holds the parameter lock when there are any.
   */
  async explainAst(statement: string, params?: Record<string, string>): Promise<string> {
    const out = await this.query(`EXPLAIN AST ${statement}`, "TabSeparatedRaw", params);
    return Buffer.from(out).toString("utf8");
  }
}
