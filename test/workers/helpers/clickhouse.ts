import { env } from "cloudflare:test";
import { createClient, type ClickHouseClient } from "@clickhouse/client-web";

/** A client on the test run's local ClickHouse, as the Worker itself would build it. */
export function testClickHouse(database?: string): ClickHouseClient {
  return createClient({
    url: env.CLICKHOUSE_URL,
    username: env.CLICKHOUSE_USER,
    password: env.CLICKHOUSE_PASSWORD,
    ...(database ? { database } : {}),
  });
}

/** Creates a fresh database for one test file and returns its name. */
export async function createTestDatabase(prefix: string): Promise<string> {
  const name = `${prefix}_${crypto.randomUUID().replace(/-/g, "").slice(0, 12)}`;
  await testClickHouse().command({ query: `CREATE DATABASE ${name}` });
  return name;
}

export async function dropTestDatabase(name: string): Promise<void> {
  await testClickHouse().command({ query: `DROP DATABASE IF EXISTS ${name}` });
}
