/**
 * @module tokens/local
 * The local platform's default workspace and its tokens, as Tinybird Local hands
 * them out on `GET /tokens`. Until the workspace catalog issues tokens, these live
 * in the local state file written by `npm run dev` (and by the test setup).
 */
import { signToken } from "./format.js";

export interface LocalCredentials {
  workspaceId: string;
  workspaceName: string;
  /** HMAC secret the local static tokens are signed with. */
  signingSecret: string;
  adminToken: string;
  userToken: string;
  workspaceAdminToken: string;
}

function randomSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Fresh credentials for a new local workspace. */
export async function createLocalCredentials(workspaceName = "default"): Promise<LocalCredentials> {
  const workspaceId = crypto.randomUUID();
  const signingSecret = randomSecret();
  const mint = (id: string) => signToken({ u: workspaceId, id, host: "local" }, signingSecret);
  const [adminToken, userToken, workspaceAdminToken] = await Promise.all([
    mint(crypto.randomUUID()),
    mint(crypto.randomUUID()),
    mint(crypto.randomUUID()),
  ]);
  return { workspaceId, workspaceName, signingSecret, adminToken, userToken, workspaceAdminToken };
}
