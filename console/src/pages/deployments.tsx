/** Deployments: live, staging and previous; the diff between two; promote, discard and roll back after a confirmation that says what will change. */
import { useEffect, useState } from "preact/hooks";
import { getJson, messageOf, request, type Deployment } from "../api.js";
import { ErrorText, Section } from "../ui.js";

const CHANGE_KEYS = ["datasource", "pipe", "data_connector"] as const;

function names(d: Deployment, kind: "new" | "changed" | "deleted", what: string): string[] {
  const v = d[`${kind}_${what}_names`];
  return Array.isArray(v) ? v.map(String) : [];
}

function role(d: Deployment, live: Deployment | undefined): string {
  if (d.live) return "live";
  if (live && Number(d.id) > Number(live.id) && d.status !== "deleted" && d.status !== "failed") return "staging";
  return "previous";
}

/** What a deployment changes against the one before it, as the API reports it. */
function Changes({ d }: { d: Deployment }) {
  const rows: string[] = [];
  for (const what of CHANGE_KEYS)
    for (const kind of ["new", "changed", "deleted"] as const) {
      const n = names(d, kind, what);
      if (n.length) rows.push(`${kind} ${what.replace("_", " ")}${n.length > 1 ? "s" : ""}: ${n.join(", ")}`);
    }
  return rows.length ? (
    <ul class="changes">
      {rows.map((r) => (
        <li key={r}>{r}</li>
      ))}
    </ul>
  ) : (
    <p>No datafile changes recorded.</p>
  );
}

interface Pending {
  title: string;
  what: string;
  d: Deployment | null;
  act: () => Promise<Response>;
}

export function Deployments() {
  const [list, setList] = useState<Deployment[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [a, setA] = useState("");
  const [b, setB] = useState("");

  const load = () => getJson<{ deployments: Deployment[] }>("/v1/deployments").then((r) => setList(r.deployments), (e: unknown) => setError(messageOf(e)));
  useEffect(() => void load(), []);

  const live = list?.find((d) => d.live);
  const confirm = async () => {
    if (!pending) return;
    setBusy(true);
    setActionError(null);
    try {
      await pending.act();
      setDone(`${pending.title}: done.`);
      setPending(null);
      await load();
    } catch (e) {
      setActionError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  const da = list?.find((d) => String(d.id) === a);
  const db = list?.find((d) => String(d.id) === b);

  return (
    <>
      <h1>Deployments</h1>
      <ErrorText error={error} label="Could not list deployments" />
      {done ? (
        <p role="status" class="ok">
          {done}
        </p>
      ) : null}
      {list ? (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Id</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">Changes</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {[...list].reverse().map((d) => {
                const r = role(d, live);
                return (
                  <tr key={String(d.id)}>
                    <td>{String(d.id)}</td>
                    <td>
                      <span class={`badge ${r}`}>{r}</span>
                    </td>
                    <td>{d.status}</td>
                    <td>{d.created_at ?? "–"}</td>
                    <td>
                      <Changes d={d} />
                    </td>
                    <td class="actions">
                      {r === "staging" && d.status === "data_ready" ? (
                        <button
                          type="button"
                          onClick={() => {
                            setDone(null);
                            setPending({ title: `Promote deployment ${String(d.id)}`, what: `Deployment ${String(d.id)} becomes live, replacing ${live ? `deployment ${String(live.id)}` : "nothing"}. Endpoints answer from it at once.`, d, act: () => request(`/v1/deployments/${encodeURIComponent(String(d.id))}/set-live`, { method: "POST" }) });
                          }}
                        >
                          Promote
                        </button>
                      ) : null}
                      {r === "staging" ? (
                        <button
                          type="button"
                          onClick={() => {
                            setDone(null);
                            setPending({ title: `Discard deployment ${String(d.id)}`, what: `Staging deployment ${String(d.id)} and its tables are deleted. Live stays ${live ? `deployment ${String(live.id)}` : "as it is"}.`, d, act: () => request(`/v1/deployments/${encodeURIComponent(String(d.id))}`, { method: "DELETE" }) });
                          }}
                        >
                          Discard
                        </button>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      {live ? (
        <button
          type="button"
          onClick={() => {
            setDone(null);
            setPending({ title: "Roll back", what: `Live deployment ${String(live.id)} is replaced by the previous one; its own changes are undone.`, d: live, act: () => request("/v1/deployments/rollback", { method: "POST" }) });
          }}
        >
          Roll back live
        </button>
      ) : null}

      {pending ? (
        <div role="dialog" aria-modal="true" aria-labelledby="confirm-title" class="dialog">
          <h2 id="confirm-title">{pending.title}?</h2>
          <p>{pending.what}</p>
          {pending.d ? <Changes d={pending.d} /> : null}
          <ErrorText error={actionError} label={`${pending.title} failed`} />
          <div class="actions">
            <button type="button" onClick={() => void confirm()} disabled={busy}>
              Confirm
            </button>
            <button type="button" onClick={() => setPending(null)}>
              Cancel
            </button>
          </div>
        </div>
      ) : null}

      {list && list.length > 1 ? (
        <Section title="Compare two deployments">
          <div class="params">
            <label for="diff-a">From</label>
            <select id="diff-a" value={a} onChange={(e) => setA(e.currentTarget.value)}>
              <option value="">–</option>
              {list.map((d) => (
                <option key={String(d.id)} value={String(d.id)}>
                  {String(d.id)}
                </option>
              ))}
            </select>
            <label for="diff-b">To</label>
            <select id="diff-b" value={b} onChange={(e) => setB(e.currentTarget.value)}>
              <option value="">–</option>
              {list.map((d) => (
                <option key={String(d.id)} value={String(d.id)}>
                  {String(d.id)}
                </option>
              ))}
            </select>
          </div>
          {da && db ? <Diff from={da} to={db} all={list} /> : null}
        </Section>
      ) : null}
    </>
  );
}

/** The changes recorded by every deployment after `from` up to `to` (ids ascending). */
function Diff({ from, to, all }: { from: Deployment; to: Deployment; all: Deployment[] }) {
  const lo = Math.min(Number(from.id), Number(to.id));
  const hi = Math.max(Number(from.id), Number(to.id));
  const steps = all.filter((d) => Number(d.id) > lo && Number(d.id) <= hi).sort((x, y) => Number(x.id) - Number(y.id));
  return (
    <div>
      {steps.map((d) => (
        <div key={String(d.id)}>
          <h3>Deployment {String(d.id)}</h3>
          <Changes d={d} />
        </div>
      ))}
    </div>
  );
}
