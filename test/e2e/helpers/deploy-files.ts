/** Deploys datafiles to a running platform the way `tinybird deploy` does. */
export async function deployFiles(p: { baseUrl: string; adminToken: string }, files: Record<string, string>): Promise<unknown> {
  const form = new FormData();
  for (const [name, text] of Object.entries(files)) form.append("data_project://", new File([text], name, { type: "text/plain" }));
  const res = await fetch(`${p.baseUrl}/v1/deploy?auto_promote=true`, { method: "POST", body: form, headers: { authorization: `Bearer ${p.adminToken}` } });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`deploy failed: ${res.status} ${JSON.stringify(body)}`);
  return body;
}
