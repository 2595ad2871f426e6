/**
 * A database of its own on the test run's local ClickHouse for one test file:
 * created before its tests, dropped (and the client closed) after them. The
 * file gets the client through `use` once it is connected.
 */
import { createClient, type ClickHouseClient } from "@clickhouse/client-web";
import { afterAll, beforeAll, inject } from "vitest";
import { quoteIdentifier } from "../../../shared/sql/ddl/index.js";

export function scratchDatabase(db: string, use: (client: ClickHouseClient) => void): void {
  let client: ClickHouseClient | undefined;
  beforeAll(async () => {
    client = createClient({ url: inject("clickhouseUrl"), username: inject("clickhouseUser"), password: inject("clickhousePassword") });
    use(client);
    await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(db)}` });
  });
  afterAll(async () => {
    await client?.command({ query: `DROP DATABASE IF EXISTS ${quoteIdentifier(db)}` });
    await client?.close();
  });
}
