/**
 * @module clickhouse/client
 * Every call to ClickHouse goes through @clickhouse/client-web. One client per
 * isolate and connection settings; the client holds no sockets of its own (it
 * uses fetch per call), so sharing it across requests is safe in workerd.
 */
import { createClient, type ClickHouseClient } from "@clickhouse/client-web";
import type { Config } from "../env.js";

const clients = new Map<string, ClickHouseClient>();

export function clickhouseFor(config: Config, database?: string): ClickHouseClient {
  const { url, username, password } = config.clickhouse;
  const key = `${url}\u0000${username}\u0000${password}\u0000${database ?? ""}`;
  let client = clients.get(key);
  if (!client) {
    client = createClient({
      url,
      username,
      password,
      ...(database ? { database } : {}),
      request_timeout: 30_000,
      clickhouse_settings: {
        // Tinybird answers 64-bit integers as JSON numbers; ask ClickHouse for the same.
        output_format_json_quote_64bit_integers: 0,
      },
    });
    clients.set(key, client);
  }
  return client;
}
