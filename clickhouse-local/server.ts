/**
 * A ClickHouse HTTP interface over the chDB engine, in this process.
 */
import { mkdirSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { z } from "zod";
import { AccessStore } from "./access-store.js";
import { Engine } from "./engine.js";
import { functionCatalog, settingCatalog } from "./engine-catalog.js";
import { ClickHouseException, Codes } from "./errors.js";
import { handleRequest, type ServerContext } from "./handler.js";
import { EngineParser, Lru } from "./parser.js";
import { ConnectionPool } from "./pool.js";
import { QuotaTracker } from "./quota.js";
import { RunningQueries } from "./running.js";

export interface LocalClickHouseOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  dataDir: string;
  /** Default "default". */
  user?: string;
  /** Default "". */
  password?: string;
  /** Engine connections that may run at once. Default 8. */
  poolSize?: number;
  /**
   * Connections only the admin user may use, so users created with CREATE USER
   * cannot take them all. Default: 2, or poolSize - 1 if that is smaller.
   */
  adminReserve?: number;
  /** ClickHouse version whose defaults to emulate (the `compatibility` setting), e.g. "24.8". */
  compat?: string;
  /** Largest accepted request body, after decompression. Default 1 GiB. */
  maxBodyBytes?: number;
  log?: (line: string) => void;
}

export interface LocalClickHouse {
  url: string;
  port: number;
  version: string;
  /** Engine connections kept for reuse, and opened so far by the pool (for tests and benches). */
  connectionStats(): { idle: number; opened: number };
  close(): Promise<void>;
}

const optionsSchema = z.object({
  port: z.number().int().min(0).max(65535).default(0),
  host: z.string().min(1).default("127.0.0.1"),
  dataDir: z.string().min(1),
  user: z.string().min(1).default("default"),
  password: z.string().default(""),
  poolSize: z.number().int().min(1).max(256).default(8),
  adminReserve: z.number().int().min(0).optional(),
  compat: z
    .string()
    .regex(/^\d+\.\d+(\.\d+)*$/, "compat must be a ClickHouse version such as 24.8")
    .optional(),
  maxBodyBytes: z
    .number()
    .int()
    .positive()
    .default(1024 * 1024 * 1024),
});

export async function startLocalClickHouse(opts: LocalClickHouseOptions): Promise<LocalClickHouse> {
  const { log = () => {}, ...rest } = opts;
  const o = optionsSchema.parse(rest);
  const reserve = o.adminReserve ?? Math.min(2, o.poolSize - 1);
  if (reserve >= o.poolSize) throw new Error(`adminReserve (${reserve}) must be smaller than poolSize (${o.poolSize})`);
  mkdirSync(o.dataDir, { recursive: true });
  const access = AccessStore.open(o.dataDir);
  const engine = await Engine.open(o.dataDir);
  const pool = new ConnectionPool(engine, o.poolSize, reserve);
  const compatArgs = o.compat ? [`--compatibility=${o.compat}`] : [];
  if (o.compat) {
    // Fail at startup, not on the first request, if the engine rejects the version.
    const probe = await pool.lease(compatArgs).catch(() => {
      throw new Error(`the engine rejected --compat ${o.compat}`);
    });
    await probe.release();
  }
  const ctx: ServerContext = {
    engine,
    pool,
    user: o.user,
    password: o.password,
    compat: o.compat,
    maxBodyBytes: o.maxBodyBytes,
    log,
    running: new RunningQueries(),
    access,
    parser: new EngineParser(engine, o.maxBodyBytes),
    quotas: new QuotaTracker(engine.info.timezone),
    settings: await settingCatalog(engine, compatArgs),
    functions: await functionCatalog(engine),
    shapes: new Lru(1000),
  };

  const sockets = new Set<Socket>();
  const inflight = new Set<ServerResponse>();
  let closing = false;
  const server = createServer({ keepAliveTimeout: 10_000, requestTimeout: 0 }, (req: IncomingMessage, res: ServerResponse) => {
    if (closing) {
      res.setHeader("Connection", "close");
      const e = new ClickHouseException(Codes.QUERY_WAS_CANCELLED, "The server is shutting down");
      res.writeHead(503, { "Content-Type": "text/plain; charset=UTF-8", "X-ClickHouse-Exception-Code": String(e.code) });
      res.end(e.body(engine.info.version));
      return;
    }
    inflight.add(res);
    res.on("close", () => inflight.delete(res));
    handleRequest(ctx, req, res).catch((e: unknown) => {
      log(`request failed unexpectedly: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      if (!res.headersSent) {
        res.writeHead(500, { "Content-Type": "text/plain; charset=UTF-8" });
        res.end(`Code: 1001. DB::Exception: ${String(e)}. (STD_EXCEPTION)\n`);
      } else res.destroy();
    });
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("clientError", (err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
    log(`client error: ${err.message}`);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = o.host.includes(":") ? `[${o.host}]` : o.host;
  log(`listening on http://${hostForUrl}:${port} with data in ${engine.dataDir} (ClickHouse ${engine.info.version})`);

  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      closing = true;
      server.close();
      // Idle keep-alive sockets go now; requests in flight get a short grace period.
      server.closeIdleConnections();
      const deadline = Date.now() + 5_000;
      while (inflight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const res of inflight) res.destroy();
      for (const s of sockets) s.destroy();
      await pool.close();
      await ctx.parser.close();
      engine.close();
      log("closed");
    })());

  return { url: `http://${hostForUrl}:${port}`, port, version: engine.info.version, connectionStats: () => pool.stats, close };
}
