/**
 * @module dev/local-state
 * The local platform's persistent state: the default workspace's credentials and
 * the local ClickHouse password, kept in `<data-dir>/state.json` so tokens stay
 * the same across restarts of `npm run dev`.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { createLocalCredentials } from "../../shared/tokens/local.js";

const LocalState = z.object({
  version: z.literal(1),
  clickhouse: z.object({ user: z.string(), password: z.string() }),
  credentials: z.object({
    workspaceId: z.string(),
    workspaceName: z.string(),
    signingSecret: z.string(),
    adminToken: z.string(),
    userToken: z.string(),
    workspaceAdminToken: z.string(),
  }),
});
export type LocalState = z.infer<typeof LocalState>;

export async function loadOrCreateLocalState(dataDir: string): Promise<LocalState> {
  const file = join(dataDir, "state.json");
  try {
    const parsed = LocalState.safeParse(JSON.parse(await readFile(file, "utf8")));
    if (parsed.success) return parsed.data;
    throw new Error(`${file} is not a valid Tern local state file: delete it to start afresh`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  const state: LocalState = {
    version: 1,
    clickhouse: { user: "default", password: randomBytes(18).toString("base64url") },
    credentials: await createLocalCredentials("default"),
  };
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, JSON.stringify(state, null, 2) + "\n", { mode: 0o600 });
  return state;
}
