/**
 * The chDB engine, and nothing else: one process-wide data directory, cheap
 * connections on it (the pool decides when one may serve another request),
 * and typed wrappers around the native calls.
 *
 * We use the `chdb` package's Session only to own the long-lived "anchor"
 * connection (which keeps the embedded server and its data directory bound for
 * the life of the process). Per-request work goes through the package's native
 * addon directly, because the public wrappers re-escape parameter values (HTTP
 * clients already send them in ClickHouse's escaped text form) and only allow a
 * whitelist of insert formats. The addon is the one `chdb` itself loads, so the
 * same engine instance is shared.
 */
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { Session } from "chdb";

interface NativeQueryResult {
  bytes: Uint8Array;
  elapsed: number;
  rowsRead: number;
  bytesRead: number;
}
interface NativeInsertResult {
  elapsed: number;
  rowsWritten: number;
  bytesWritten: number;
}
interface NativeChunk {
  bytes: Uint8Array;
  numRows: number;
  done: boolean;
}
type Handle = object;
interface NativeAddon {
  CreateConnection(path: string, args?: readonly string[]): Handle;
  CloseConnection(conn: Handle): void;
  QueryAsyncConnection(
    conn: Handle,
    sql: string,
    format: string,
    params?: Record<string, string>,
  ): Promise<NativeQueryResult>;
  InsertRawAsyncConnection(conn: Handle, prefix: string, data: Buffer, countLines: boolean): Promise<NativeInsertResult>;
  StreamQuery(conn: Handle, sql: string, format: string, params?: Record<string, string>): Handle;
  StreamFetch(stream: Handle): Promise<NativeChunk>;
  StreamCancel(stream: Handle): void;
}

const PLATFORM_PACKAGES: Record<string, string> = {
  "linux-x64": "@chdb/lib-linux-x64-gnu",
  "linux-arm64": "@chdb/lib-linux-arm64-gnu",
  "darwin-x64": "@chdb/lib-darwin-x64",
  "darwin-arm64": "@chdb/lib-darwin-arm64",
};

function loadNative(): NativeAddon {
  const pkg = PLATFORM_PACKAGES[`${process.platform}-${process.arch}`];
  if (!pkg) throw new Error(`chdb has no native build for ${process.platform}-${process.arch}`);
  // Resolve from chdb's own location so we get the very module chdb loaded.
  const fromChdb = createRequire(createRequire(import.meta.url).resolve("chdb/package.json"));
  return fromChdb(pkg) as NativeAddon;
}

/** An error raised by the engine, with the ClickHouse code parsed from its text. */
export class EngineError extends Error {
  constructor(
    message: string,
    readonly code: number | undefined,
  ) {
    super(message);
    this.name = "EngineError";
  }
}

/**
 * chDB's stream cursor wraps an exception in itself ("Code: 73. DB::Exception:
 * Code: 73. DB::Exception: … (version …). (UNKNOWN_FORMAT) …"); keep the innermost one.
 */
function unwrapNested(message: string): string {
  const prefix = /^Code: (\d+)\. DB::Exception: (?=Code: \d+\. DB::Exception: )/;
  if (!prefix.test(message)) return message;
  let inner = message;
  while (prefix.test(inner)) inner = inner.replace(prefix, "");
  return inner.replace(/ \(version [^)]*\)[\s\S]*$/, "");
}

function asEngineError(e: unknown): EngineError {
  if (e instanceof EngineError) return e;
  const message = unwrapNested(e instanceof Error ? e.message : String(e));
  const m = /^Code:\s*(\d+)\./.exec(message);
  return new EngineError(message, m ? Number(m[1]) : undefined);
}

export interface QueryResult {
  bytes: Uint8Array;
  elapsedSec: number;
  rowsRead: number;
  bytesRead: number;
}
export interface InsertResult {
  elapsedSec: number;
  rowsWritten: number;
  bytesWritten: number;
}
export interface StreamChunk {
  bytes: Uint8Array;
  rows: number;
}

/** A streaming result cursor. `cancel()` is safe at any time, also mid-fetch. */
export class ResultStream {
  #inflight: Promise<unknown> | null = null;
  #closed = false;
  constructor(
    private readonly native: NativeAddon,
    private readonly handle: Handle,
  ) {}

  /** Next chunk, or null at the end. */
  async next(): Promise<StreamChunk | null> {
    if (this.#closed) return null;
    const p = this.native.StreamFetch(this.handle);
    this.#inflight = p;
    let chunk: NativeChunk;
    try {
      chunk = await p;
    } catch (e) {
      this.#inflight = null;
      this.cancel();
      throw asEngineError(e);
    }
    this.#inflight = null;
    if (chunk.done) {
      this.cancel();
      return null;
    }
    return { bytes: chunk.bytes, rows: chunk.numRows };
  }

  /** Release the cursor; resolves once the native handle is really gone. */
  cancel(): Promise<void> {
    if (this.#closed) return this.#released;
    this.#closed = true;
    const destroy = () => {
      try {
        this.native.StreamCancel(this.handle);
      } catch {
        /* already released */
      }
    };
    // Never destroy the handle under a fetch that is still running on a libuv thread.
    this.#released = this.#inflight ? this.#inflight.then(destroy, destroy) : Promise.resolve(destroy());
    return this.#released;
  }
  #released: Promise<void> = Promise.resolve();
}

/**
 * One native connection. Owned by exactly one request at a time; the pool may
 * hand it to a later request (see pool.ts for when that is safe).
 */
export class Connection {
  #open = true;
  #busy: Promise<unknown>[] = [];
  #inflight = 0;
  constructor(
    private readonly native: NativeAddon,
    private readonly handle: Handle,
  ) {}

  #track<T>(start: () => Promise<T>): Promise<T> {
    if (!this.#open) return Promise.reject(new EngineError("Code: 394. DB::Exception: The connection was closed (server shutting down). (QUERY_WAS_CANCELLED)", 394));
    const p = start();
    this.#inflight++;
    const settled = p.then(
      () => void this.#inflight--,
      () => void this.#inflight--,
    );
    // Settled operations are dropped, so a reused connection does not accumulate them.
    this.#busy.push(settled);
    void settled.then(() => {
      const i = this.#busy.indexOf(settled);
      if (i >= 0) this.#busy.splice(i, 1);
    });
    return p;
  }

  /** Open, and no query or insert of it still running in the engine (streams are the caller's to finish). */
  get idle(): boolean {
    return this.#open && this.#inflight === 0;
  }

  async query(sql: string, format: string, params?: Record<string, string>): Promise<QueryResult> {
    try {
      const r = await this.#track(() =>
        params ? this.native.QueryAsyncConnection(this.handle, sql, format, params) : this.native.QueryAsyncConnection(this.handle, sql, format),
      );
      return { bytes: r.bytes, elapsedSec: r.elapsed, rowsRead: r.rowsRead, bytesRead: r.bytesRead };
    } catch (e) {
      throw asEngineError(e);
    }
  }

  /** Runs an INSERT whose data (possibly empty) follows the query text. */
  async insert(sql: string, data: Buffer): Promise<InsertResult> {
    try {
      const r = await this.#track(() => this.native.InsertRawAsyncConnection(this.handle, sql, data, false));
      return { elapsedSec: r.elapsed, rowsWritten: r.rowsWritten, bytesWritten: r.bytesWritten };
    } catch (e) {
      throw asEngineError(e);
    }
  }

  /** Starts a streamed SELECT. Throws synchronously for statements that cannot stream. */
  stream(sql: string, format: string, params?: Record<string, string>): ResultStream {
    if (!this.#open) throw new EngineError("Code: 394. DB::Exception: The connection was closed (server shutting down). (QUERY_WAS_CANCELLED)", 394);
    try {
      const h = params ? this.native.StreamQuery(this.handle, sql, format, params) : this.native.StreamQuery(this.handle, sql, format);
      return new ResultStream(this.native, h);
    } catch (e) {
      throw asEngineError(e);
    }
  }

  /** Closes after every operation started on it has finished natively. */
  async close(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    await Promise.all(this.#busy);
    try {
      this.native.CloseConnection(this.handle);
    } catch {
      /* best effort */
    }
  }
}

export interface EngineInfo {
  version: string;
  timezone: string;
  hostname: string;
}

/** The engine bound to one data directory. */
export class Engine {
  private constructor(
    private readonly native: NativeAddon,
    private readonly anchor: Session,
    readonly dataDir: string,
    readonly info: EngineInfo,
  ) {}

  static async open(dataDir: string): Promise<Engine> {
    const native = loadNative();
    const dir = resolve(dataDir);
    // Load every table before the first query is answered.
    const anchor = new Session(dir, {
      connectionArgs: ["--async_load_databases=0", "--async_load_system_database=0"],
    });
    const r = await native.QueryAsyncConnection(
      anchor.connection as Handle,
      "SELECT version(), timezone(), hostName()",
      "TabSeparated",
    );
    const [version = "", timezone = "UTC", hostname = "localhost"] = Buffer.from(r.bytes).toString("utf8").trim().split("\t");
    return new Engine(native, anchor, dir, { version, timezone, hostname });
  }

  /** A fresh connection; `args` are engine command-line settings (e.g. --compatibility=24.8). */
  connect(args: readonly string[]): Connection {
    try {
      const h = args.length > 0 ? this.native.CreateConnection(this.dataDir, args) : this.native.CreateConnection(this.dataDir);
      return new Connection(this.native, h);
    } catch (e) {
      throw asEngineError(e);
    }
  }

  close(): void {
    this.anchor.close();
  }
}
