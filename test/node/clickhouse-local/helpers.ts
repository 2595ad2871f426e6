import { createClient, type ClickHouseClient } from "@clickhouse/client-web";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inject } from "vitest";
import { spawnLocalClickHouse, type SpawnedClickHouse, type SpawnOptions } from "../../../clickhouse-local/spawn.js";

export const url = () => inject("clickhouseUrl");
export const user = () => inject("clickhouseUser");
export const password = () => inject("clickhousePassword");

export function client(opts: Parameters<typeof createClient>[0] = {}): ClickHouseClient {
  return createClient({ url: url(), username: user(), password: password(), ...opts });
}

export function basicAuth(u = user(), p = password()): string {
  return `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`;
}

/** A raw HTTP call to the shared server, authenticated unless `auth: false`. */
export async function http(
  search: Record<string, string>,
  init: RequestInit & { auth?: boolean; base?: string } = {},
): Promise<Response> {
  const u = new URL(init.base ?? url());
  for (const [k, v] of Object.entries(search)) u.searchParams.set(k, v);
  const headers = new Headers(init.headers);
  if (init.auth !== false && !headers.has("authorization")) headers.set("authorization", basicAuth());
  return fetch(u, { ...init, headers });
}

/** Creates (fresh) the database a test file works in. */
export async function freshDatabase(name: string): Promise<void> {
  const c = client();
  await c.command({ query: `DROP DATABASE IF EXISTS ${name}` });
  await c.command({ query: `CREATE DATABASE ${name}` });
  await c.close();
}

/** A private server on its own temp data dir (for restarts, kills, special options). */
export async function privateServer(
  opts: Partial<SpawnOptions> = {},
): Promise<{ server: SpawnedClickHouse; dataDir: string; client: (o?: Parameters<typeof createClient>[0]) => ClickHouseClient; cleanup: () => Promise<void> }> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), "tern-chl-test-")));
  const server = await spawnLocalClickHouse({ port: 0, user: "u", password: "p", ...opts, dataDir });
  const handle = {
    server,
    dataDir,
    // Always the current server: tests replace `server` after a restart.
    client: (o: Parameters<typeof createClient>[0] = {}) => createClient({ url: handle.server.url, username: "u", password: "p", ...o }),
    cleanup: async () => {
      await handle.server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return handle;
}

/** Async iteration over a web ReadableStream (the DOM typings lack it). */
export async function* iterate<T>(stream: ReadableStream<T>): AsyncGenerator<T> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}
