/**
 * @module remote
 * What every API command starts with: the project folder, the resolved host
 * and token (see config.ts), and an API client for them.
 */
import type { CliIO } from "./command.js";
import { projectDir } from "./args.js";
import { resolveConnection, type Connection } from "./config.js";
import { createApi, type Api } from "./http.js";

export interface Remote {
  dir: string;
  connection: Connection;
  /** Client with the workspace token. */
  api(): Promise<Api>;
  /** Client with a token that may manage workspaces (user token, else the workspace token). */
  userApi(): Promise<Api>;
}

export async function connect(
  io: CliIO,
  values: { cwd?: string | undefined; host?: string | undefined; token?: string | undefined; "user-token"?: string | undefined },
): Promise<Remote> {
  const dir = projectDir(io, values.cwd);
  const fetchFn = io.fetch ?? fetch;
  const connection = await resolveConnection({
    flags: { host: values.host, token: values.token, userToken: values["user-token"] },
    env: io.env,
    dir,
    fetch: fetchFn,
  });
  return {
    dir,
    connection,
    api: async () => createApi(connection.host, (await connection.token()).token, fetchFn),
    userApi: async () => createApi(connection.host, (await connection.userToken()).token, fetchFn),
  };
}
