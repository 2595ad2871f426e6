/**
 * @module console/main
 * The console's shell: sign-in, the navigation and a hash router
 * (`#/datasources/<name>`, …) so the Worker serves one static page at /ui/.
 * A token handed over in the fragment (`/ui/#token=…`, from `tern open`) is moved
 * into sessionStorage and taken off the address bar.
 */
import { render, type FunctionComponent } from "preact";
import { useEffect, useState } from "preact/hooks";
import { clearToken, getJson, getToken, messageOf, setToken, setUnauthorizedHandler } from "./api.js";
import { ErrorText } from "./ui.js";
import { DatasourceDetail, Datasources } from "./pages/datasources.js";
import { PipeDetail, Pipes } from "./pages/pipes.js";
import { Deployments } from "./pages/deployments.js";
import { Tokens } from "./pages/tokens.js";
import { Jobs } from "./pages/jobs.js";
import "./styles.css";

interface Workspace {
  id: string;
  name: string;
}

function takeHandedToken(): void {
  const m = /^#token=([^&]+)(?:&(.*))?$/.exec(location.hash);
  if (!m?.[1]) return;
  setToken(decodeURIComponent(m[1]));
  history.replaceState(null, "", `${location.pathname}#/${m[2] ? decodeURIComponent(m[2]) : "datasources"}`);
}

function useRoute(): string[] {
  const read = () => location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return route;
}

const NAV: [string, string][] = [
  ["datasources", "Data sources"],
  ["pipes", "Pipes"],
  ["sql", "SQL"],
  ["deployments", "Deployments"],
  ["tokens", "Tokens"],
  ["jobs", "Jobs & usage"],
];

/** The playground carries CodeMirror: loaded when first opened, so the other pages paint sooner. */
function LazyPlayground() {
  const [Page, setPage] = useState<FunctionComponent | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    import("./pages/playground.js").then((m) => setPage(() => m.Playground), (e: unknown) => setError(messageOf(e)));
  }, []);
  if (error) return <ErrorText error={error} label="Could not load the SQL playground" />;
  return Page ? <Page /> : <p aria-busy="true">Loading the editor…</p>;
}

function SignIn({ message, onSignedIn }: { message: string | null; onSignedIn: (ws: Workspace) => void }) {
  const [token, setValue] = useState("");
  const [error, setError] = useState<string | null>(message);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setToken(token.trim());
    try {
      onSignedIn(await getJson<Workspace>("/v1/workspace", { keepSession: true }));
    } catch (err) {
      clearToken();
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <h1>Tern console</h1>
      <form onSubmit={submit}>
        <label for="token">Token</label>
        <input id="token" type="password" autoComplete="off" value={token} onInput={(e) => setValue(e.currentTarget.value)} required />
        <p class="hint">
          Paste a workspace token (<code>npm run dev</code> prints the admin token; <code>tern open</code> signs you in). It stays in this tab's session storage and is sent
          only to this Tern.
        </p>
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <ErrorText error={error} label="Sign-in failed" />
      </form>
    </main>
  );
}

function Page({ route }: { route: string[] }) {
  const [section, name] = route;
  switch (section) {
    case "datasources":
      return name ? <DatasourceDetail name={name} /> : <Datasources />;
    case "pipes":
      return name ? <PipeDetail name={name} /> : <Pipes />;
    case "sql":
      return <LazyPlayground />;
    case "deployments":
      return <Deployments />;
    case "tokens":
      return <Tokens />;
    case "jobs":
      return <Jobs />;
    default:
      return <Datasources />;
  }
}

function App() {
  const route = useRoute();
  const [workspace, setWorkspace] = useState<Workspace | null>(null);
  const [signedOut, setSignedOut] = useState<string | null>(null);
  const [checking, setChecking] = useState(getToken() !== null);

  useEffect(() => {
    setUnauthorizedHandler((message) => {
      clearToken();
      setWorkspace(null);
      setSignedOut(`Your token was refused: ${message}. Sign in again.`);
    });
    if (getToken() === null) return;
    getJson<Workspace>("/v1/workspace", { keepSession: true })
      .then(setWorkspace, (e: unknown) => {
        clearToken();
        setSignedOut(`Your token was refused: ${messageOf(e)}. Sign in again.`);
      })
      .finally(() => setChecking(false));
  }, []);

  if (checking) return <main aria-busy="true">Loading…</main>;
  if (!workspace)
    return (
      <SignIn
        message={signedOut}
        onSignedIn={(ws) => {
          setSignedOut(null);
          setWorkspace(ws);
          if (!location.hash || location.hash === "#/") location.hash = "#/datasources";
        }}
      />
    );
  const current = route[0] ?? "datasources";
  return (
    <>
      <header>
        <a class="brand" href="#/datasources">
          Tern
        </a>
        <nav aria-label="Main">
          {NAV.map(([path, label]) => (
            <a key={path} href={`#/${path}`} aria-current={current === path ? "page" : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <span class="workspace">Workspace: {workspace.name}</span>
        <button
          class="link"
          type="button"
          onClick={() => {
            clearToken();
            setWorkspace(null);
          }}
        >
          Sign out
        </button>
      </header>
      <main>
        <Page route={route} />
      </main>
    </>
  );
}

takeHandedToken();
render(<App />, document.getElementById("app")!);
