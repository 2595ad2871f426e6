/**
 * @module remote
 * What every API command starts with: the project folder, the resolved host
 * and token (see config.ts), and an API client for them (`--staging`: one
 * that names the staging deployment on every call).
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
  values: { cwd?: string | undefined; host?: string | undefined; token?: string | undefined; "user-token"?: string | undefined; staging?: boolean | undefined },
): Promise<Remote> {
  const dir = projectDir(io, values.cwd);
  const baseFetch = io.fetch ?? fetch;
  // --staging: every call names the staging deployment, as tb --staging does; the server applies it where a deployment is read or written.
  const fetchFn: typeof fetch = values.staging
    ? (input, init) => {
        const url = new URL(input instanceof Request ? input.url : String(input));
        url.searchParams.set("__tb__deployment", "staging");
        return baseFetch(input instanceof Request ? new Request(url, input) : url, init);
      }
    : baseFetch;
  const connection = await resolveConnection({
    flags: { host: values.host, token: values.token, userToken: values["user-token"] },
    env: io.env,
    dir,
    fetch: baseFetch,
  });
  return {
    dir,
    connection,
    api: async () => createApi(connection.host, (await connection.token()).token, fetchFn),
    userApi: async () => createApi(connection.host, (await connection.userToken()).token, fetchFn),
  };
}
