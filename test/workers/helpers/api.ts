import { SELF, env } from "cloudflare:test";

export function credentials(): { workspaceId: string; workspaceAdminToken: string; adminToken: string; userToken: string } {
  return JSON.parse(env.TERN_CREDENTIALS!);
}

export function adminToken(): string {
  return credentials().workspaceAdminToken;
}

/** A request to the Worker under test with the workspace admin token. */
export function api(path: string, init: RequestInit & { token?: string | null } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const token = init.token === undefined ? adminToken() : init.token;
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  return SELF.fetch(`http://tern.test${path}`, { ...init, headers });
}

/** The multipart body `tinybird deploy` sends: one `data_project://` part per file. */
export function projectForm(files: Record<string, string>): FormData {
  const form = new FormData();
  for (const [name, text] of Object.entries(files)) {
    form.append("data_project://", new File([text], name, { type: "text/plain" }));
  }
  return form;
}

export async function deploy(
  files: Record<string, string>,
  query = "auto_promote=true",
  token?: string,
): Promise<{ status: number; body: any }> {
  const res = await api(`/v1/deploy?${query}`, { method: "POST", body: projectForm(files), ...(token ? { token } : {}) });
  return { status: res.status, body: await res.json() };
}

/** A fresh workspace for one test file (or describe), made through the API as a user would. */
export async function createWorkspace(prefix: string): Promise<{ id: string; name: string; token: string }> {
  const name = `${prefix}_${crypto.randomUUID().replace(/-/g, "").slice(0, 8)}`;
  const res = await api("/v1/workspaces", {
    method: "POST",
    token: credentials().userToken,
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ name }),
  });
  if (res.status !== 200) throw new Error(`creating workspace ${name}: ${res.status} ${await res.text()}`);
  return res.json();
}
