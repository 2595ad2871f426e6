/** Tokens: list, create a scoped static token, mint a JWT with fixed params and a rate limit, copy, refresh, delete. */
import { useEffect, useState } from "preact/hooks";
import { form, getJson, messageOf, request, type Pipe, type Token } from "../api.js";
import { ErrorText, Section } from "../ui.js";

async function copy(text: string): Promise<void> {
  await navigator.clipboard.writeText(text);
}

function scopeText(t: Token): string {
  return t.scopes.map((s) => [s.type, s.resource, s.filter].filter(Boolean).join(":")).join(", ");
}

export function Tokens() {
  const [list, setList] = useState<Token[] | null>(null);
  const [pipes, setPipes] = useState<Pipe[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [rowError, setRowError] = useState<{ name: string; text: string } | null>(null);
  const [status, setStatus] = useState<string | null>(null);

  const load = () => getJson<{ tokens: Token[] }>("/v0/tokens").then((r) => setList(r.tokens), (e: unknown) => setError(messageOf(e)));
  useEffect(() => {
    void load();
    getJson<{ pipes: Pipe[] }>("/v0/pipes").then((r) => setPipes(r.pipes), () => undefined);
  }, []);

  const act = async (t: Token, what: "refresh" | "delete") => {
    setRowError(null);
    if (what === "delete" && !window.confirm(`Delete token "${t.name}"? Clients using it stop working.`)) return;
    try {
      await request(`/v0/tokens/${encodeURIComponent(t.id ?? t.name)}${what === "refresh" ? "/refresh" : ""}`, { method: what === "refresh" ? "POST" : "DELETE" });
      setStatus(`Token "${t.name}" ${what === "refresh" ? "refreshed" : "deleted"}.`);
      await load();
    } catch (e) {
      setRowError({ name: t.name, text: messageOf(e) });
    }
  };

  return (
    <>
      <h1>Tokens</h1>
      <ErrorText error={error} label="Could not list tokens" />
      {status ? (
        <p role="status" class="ok">
          {status}
        </p>
      ) : null}
      {list ? (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Scopes</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.map((t) => (
                <tr key={t.id ?? t.name}>
                  <td>{t.name}</td>
                  <td>{scopeText(t)}</td>
                  <td class="actions">
                    {t.token ? (
                      <button type="button" onClick={() => void copy(t.token).then(() => setStatus(`Token "${t.name}" copied.`), (e: unknown) => setRowError({ name: t.name, text: messageOf(e) }))}>
                        Copy
                      </button>
                    ) : null}
                    <button type="button" onClick={() => void act(t, "refresh")}>
                      Refresh
                    </button>
                    <button type="button" onClick={() => void act(t, "delete")}>
                      Delete
                    </button>
                    {rowError?.name === t.name ? <ErrorText error={rowError.text} /> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <StaticForm onCreated={(name) => (setStatus(`Token "${name}" created.`), void load())} />
      <JwtForm pipes={pipes} />
    </>
  );
}

function StaticForm({ onCreated }: { onCreated: (name: string) => void }) {
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState("PIPES:READ:");
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const scope = scopes.split(/\n|,/).map((s) => s.trim().replace(/:$/, "")).filter(Boolean);
      await request("/v0/tokens", { method: "POST", body: form({ name, scope }) });
      onCreated(name);
      setName("");
    } catch (err) {
      setError(messageOf(err));
    }
  };
  return (
    <Section title="Create a static token">
      <form class="params" onSubmit={submit}>
        <label for="static-name">Name</label>
        <input id="static-name" value={name} onInput={(e) => setName(e.currentTarget.value)} required />
        <label for="static-scopes">Scopes (one per line, e.g. PIPES:READ:my_pipe, DATASOURCES:APPEND:events)</label>
        <textarea id="static-scopes" rows={3} value={scopes} onInput={(e) => setScopes(e.currentTarget.value)} required />
        <div class="actions">
          <button type="submit">Create token</button>
        </div>
        <ErrorText error={error} label="Could not create the token" />
      </form>
    </Section>
  );
}

function JwtForm({ pipes }: { pipes: Pipe[] }) {
  const [name, setName] = useState("");
  const [pipe, setPipe] = useState("");
  const [fixed, setFixed] = useState("");
  const [rps, setRps] = useState("");
  const [hours, setHours] = useState("24");
  const [jwt, setJwt] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setJwt(null);
    try {
      const fixedParams: Record<string, string> = {};
      for (const line of fixed.split("\n")) {
        const m = /^\s*([^=\s]+)\s*=\s*(.*?)\s*$/.exec(line);
        if (m?.[1]) fixedParams[m[1]] = m[2] ?? "";
      }
      const exp = Math.floor(Date.now() / 1000) + Math.round(Number(hours) * 3600);
      const body = {
        name,
        scopes: [{ type: "PIPES:READ", resource: pipe, ...(Object.keys(fixedParams).length ? { fixed_params: fixedParams } : {}) }],
        ...(rps ? { limits: { rps: Number(rps) } } : {}),
      };
      const r = await getJson<{ token: string }>(`/v0/tokens?expiration_time=${exp}`, { method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });
      setJwt(r.token);
    } catch (err) {
      setError(messageOf(err));
    }
  };
  return (
    <Section title="Mint a JWT">
      <form class="params" onSubmit={submit}>
        <label for="jwt-name">Name</label>
        <input id="jwt-name" value={name} onInput={(e) => setName(e.currentTarget.value)} required />
        <label for="jwt-pipe">Endpoint</label>
        <select id="jwt-pipe" value={pipe} onChange={(e) => setPipe(e.currentTarget.value)} required>
          <option value="">Choose a pipe</option>
          {pipes.map((p) => (
            <option key={p.name} value={p.name}>
              {p.name}
            </option>
          ))}
        </select>
        <label for="jwt-fixed">Fixed params (one name=value per line)</label>
        <textarea id="jwt-fixed" rows={2} value={fixed} onInput={(e) => setFixed(e.currentTarget.value)} />
        <label for="jwt-rps">Rate limit (requests per second, empty for none)</label>
        <input id="jwt-rps" type="number" min="1" value={rps} onInput={(e) => setRps(e.currentTarget.value)} />
        <label for="jwt-hours">Expires in (hours)</label>
        <input id="jwt-hours" type="number" min="0.01" step="any" value={hours} onInput={(e) => setHours(e.currentTarget.value)} required />
        <div class="actions">
          <button type="submit">Mint JWT</button>
        </div>
        <ErrorText error={error} label="Could not mint the JWT" />
      </form>
      {jwt ? (
        <div class="minted">
          <label for="jwt-value">JWT</label>
          <textarea id="jwt-value" class="mono" readOnly rows={3} value={jwt} />
          <button type="button" onClick={() => void copy(jwt)}>
            Copy JWT
          </button>
        </div>
      ) : null}
    </Section>
  );
}
