/**
 * @module console/api
 * The console's one way to Tern: its public HTTP API on the page's own origin,
 * with the user's token from sessionStorage. Errors become ApiError with the
 * server's own text, shown next to what caused them.
 */

const TOKEN_KEY = "tern.token";

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}
export function setToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}
export function clearToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Listeners told when the token is refused (401/403 on a whoami-style call). */
let onUnauthorized: (message: string) => void = () => undefined;
export function setUnauthorizedHandler(f: (message: string) => void): void {
  onUnauthorized = f;
}

async function errorText(res: Response): Promise<string> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    if (typeof body.error === "string") return body.error;
    if (typeof body.message === "string") return body.message;
  } catch {
    // not JSON: the text as it is
  }
  return text || `${res.status} ${res.statusText}`;
}

export interface RequestOptions {
  method?: string;
  body?: BodyInit;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Leave 401/403 to the caller instead of signing out. */
  keepSession?: boolean;
}

export async function request(path: string, opts: RequestOptions = {}): Promise<Response> {
  const token = getToken();
  const res = await fetch(path, {
    method: opts.method ?? "GET",
    body: opts.body,
    signal: opts.signal,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...opts.headers },
  });
  if (!res.ok) {
    const message = await errorText(res);
    if (!opts.keepSession && (res.status === 401 || (res.status === 403 && /invalid token|expired|signature/i.test(message)))) onUnauthorized(message);
    throw new ApiError(res.status, message);
  }
  return res;
}

export async function getJson<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  return (await (await request(path, opts)).json()) as T;
}

export function form(fields: Record<string, string | string[] | undefined>): URLSearchParams {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) p.append(k, one);
  }
  return p;
}

export interface QueryResult {
  meta: { name: string; type: string }[];
  data: Record<string, unknown>[];
  rows: number;
  statistics?: { elapsed: number; rows_read: number; bytes_read: number };
}

/** Runs SQL through the Query API (`/v0/sql`, FORMAT JSON). */
export async function sql(q: string, signal?: AbortSignal): Promise<QueryResult> {
  const text = /\bFORMAT\s+\w+\s*;?\s*$/i.test(q) ? q : `${q.replace(/;\s*$/, "")}\nFORMAT JSON`;
  return getJson<QueryResult>("/v0/sql", { method: "POST", body: form({ q: text }), signal });
}

export function messageOf(e: unknown): string {
  if (e instanceof DOMException && e.name === "AbortError") return "Cancelled.";
  return e instanceof Error ? e.message : String(e);
}

/** A SQL string literal (single quotes, backslash-escaped). */
export function sqlString(s: string): string {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

// ---- API shapes the console reads (only the fields it uses) ----

export interface Datasource {
  id?: string;
  name: string;
  engine?: { engine?: string; sorting_key?: string; partition_key?: string } | string;
  engine_sorting_key?: string;
  schema?: { columns?: { name: string; type: string; jsonpath?: string; nullable?: boolean; default_value?: string | null }[] };
  columns?: { name: string; type: string }[];
  stats?: { bytes?: number; row_count?: number };
  statistics?: { bytes?: number; row_count?: number };
  quarantine_rows?: number;
}

export interface PipeParam {
  name: string;
  type: string;
  default?: unknown;
  required?: boolean;
  description?: string;
}
export interface PipeNode {
  name: string;
  sql: string;
  params?: PipeParam[];
  node_type?: string;
}
export interface Pipe {
  id?: string;
  name: string;
  type?: string;
  endpoint?: string | null;
  nodes?: PipeNode[];
}

export interface Deployment {
  id: string | number;
  status: string;
  live?: boolean;
  created_at?: string;
  [k: string]: unknown;
}

export interface TokenScope {
  type: string;
  resource?: string;
  filter?: string;
}
export interface Token {
  id?: string;
  name: string;
  description?: string;
  scopes: TokenScope[];
  token: string;
}

export interface Job {
  id: string;
  kind: string;
  status: string;
  created_at?: string;
  updated_at?: string;
  pipe_name?: string;
  datasource?: { name?: string };
  error?: string;
  [k: string]: unknown;
}
