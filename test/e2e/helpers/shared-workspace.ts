// A test file's own workspace on the shared `npm run dev` (./shared-platform.ts).
// Its workspace admin token stands where a file on its own platform would use
// the default workspace's admin token: everything the file deploys, ingests,
// mints or branches lives in this workspace only.
import { inject } from "vitest";

/** What a test needs from a platform, whether its own (DevPlatform) or the shared one. */
export interface PlatformAccess {
  port: number;
  /** `http://localhost:<port>`. */
  baseUrl: string;
  /** The workspace admin token of the file's workspace. */
  adminToken: string;
}

export interface SharedWorkspace extends PlatformAccess {
  workspace: { id: string; name: string };
  /** The launcher's ready block, as `DevPlatform.output()` gives it. */
  output(): string;
}

/**
 * Creates a workspace named `<prefix>_<8 hex>` on the shared platform. It is not
 * deleted afterwards: the platform and its data dir go away with the run, and
 * no file sharing it depends on the list of workspaces.
 */
export async function sharedWorkspace(prefix: string): Promise<SharedWorkspace> {
  const shared = inject("e2ePlatform");
  const name = `${prefix}_${crypto.randomUUID().replace(/-/g, "").slice(0, 8)}`;
  const res = await fetch(`${shared.baseUrl}/v1/workspaces`, {
    method: "POST",
    headers: { authorization: `Bearer ${shared.userToken}`, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ name }),
  });
  if (res.status !== 200) throw new Error(`creating workspace ${name} on the shared platform: ${res.status} ${await res.text()}`);
  const ws = (await res.json()) as { id: string; name: string; token: string };
  return { port: shared.port, baseUrl: shared.baseUrl, adminToken: ws.token, workspace: { id: ws.id, name: ws.name }, output: () => shared.output };
}
