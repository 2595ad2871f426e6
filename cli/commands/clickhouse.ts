/**
 * `tern clickhouse url`: a connection string for the ClickHouse interface
 * (docs/clickhouse-interface.md): `http(s)://<workspace>:<token>@<host>/clickhouse`,
 * or its parts with --json, for the token the CLI resolves or any other with
 * --token. The user is the workspace's name (asked of GET /v1/workspace unless
 * --user gives it; a token that may not ask, a JWT, gets `default`: the
 * interface identifies the workspace by the token alone).
 */
import type { Command } from "../command.js";
import { UsageError } from "../command.js";
import { parse, REMOTE_HELP, REMOTE_OPTIONS } from "../args.js";
import { ApiError } from "../http.js";
import { connect } from "../remote.js";

/** The interface's prefix on the API host (on its own hostname it is at `/`). */
export const CLICKHOUSE_PATH = "/clickhouse";

export interface ClickHouseConnection {
  url: string;
  protocol: "http" | "https";
  host: string;
  port: number;
  /** The interface's path: drivers that read a URL's path as the database take it as an option (`pathname`). */
  pathname: string;
  username: string;
  password: string;
  database: string;
}

/**
 * The connection to the interface on `base` (the API host, whose path gets
 * `/clickhouse`, or with `ownHost` an interface host, used as is).
 */
export function clickhouseConnection(base: string, user: string, token: string, ownHost = false): ClickHouseConnection {
  const url = new URL(base);
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`${base} is not an http(s) URL`);
  const path = url.pathname.replace(/\/+$/, "");
  url.pathname = ownHost ? path || "/" : `${path}${CLICKHOUSE_PATH}`;
  url.search = "";
  url.username = encodeURIComponent(user);
  url.password = encodeURIComponent(token);
  const protocol = url.protocol === "https:" ? "https" : "http";
  return {
    url: url.toString(),
    protocol,
    host: url.hostname,
    port: url.port ? Number(url.port) : protocol === "https" ? 443 : 80,
    pathname: url.pathname,
    username: user,
    password: token,
    database: user,
  };
}

export const clickhouse: Command = {
  name: "clickhouse",
  summary: "A connection string for the ClickHouse interface (BI tools, ClickHouse drivers)",
  help: `Usage: tern clickhouse url [options]

Prints a connection string for the ClickHouse HTTP interface, with the token as the
password and the workspace's name as the user:
  http://<workspace>:<token>@<host>/clickhouse
Drivers that read a URL's path as the database (@clickhouse/client, clickhouse-connect)
take /clickhouse as their "pathname" option instead: --json prints every part.
docs/clickhouse-interface.md has each tool's settings.

Options:
  --user <name>            the user to print (default: the workspace's name)
  --clickhouse-host <url>  the interface's own host (the Worker's TERN_CLICKHOUSE_HOST),
                           where it answers at /
${REMOTE_HELP}`,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (!sub) throw new UsageError("missing subcommand");
    if (sub !== "url") throw new UsageError(`unknown subcommand '${sub}'`);
    const { values } = parse(rest, { ...REMOTE_OPTIONS, user: { type: "string" }, "clickhouse-host": { type: "string" } }, { min: 0, max: 0 });
    const remote = await connect(io, values);
    const { token } = await remote.connection.token();
    let user = values.user;
    if (user === undefined) {
      try {
        user = (await (await remote.api()).request<{ name: string }>("GET", "/v1/workspace")).name;
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        user = "default";
      }
    }
    const ownHost = values["clickhouse-host"];
    const conn = clickhouseConnection(ownHost ?? remote.connection.host, user, token, ownHost !== undefined);
    io.out(values.json ? JSON.stringify(conn, null, 2) : conn.url);
    return 0;
  },
};
