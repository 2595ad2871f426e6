/**
 * @module http
 * A small client for the Tern API: base URL, `Authorization: Bearer`, JSON in
 * and out. Non-2xx answers become `ApiError` carrying the server's `error`
 * text and its body (per-file `errors`, deployment `feedback`); an unreachable
 * host becomes `ConnectionError`.
 */

export interface FileError {
  filename: string;
  error: string;
}

/** The server answered with a non-2xx status. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    message: string,
    /** The parsed JSON body, or undefined when it was not JSON. */
    readonly body: unknown,
  ) {
    super(message);
  }

  /** `errors: [{filename, error}]` from a failed build or deploy. */
  get fileErrors(): FileError[] {
    const errors = (this.body as { errors?: unknown } | undefined)?.errors;
    if (!Array.isArray(errors)) return [];
    return errors.filter((e): e is FileError => typeof e?.filename === "string" && typeof e?.error === "string");
  }
}

/** The host could not be reached at all. */
export class ConnectionError extends Error {
  override readonly name = "ConnectionError";
}

export interface RequestOptions {
  query?: Record<string, string | boolean | undefined>;
  json?: unknown;
  form?: FormData;
  /** Overrides the client's token for this call. */
  token?: string;
}

export interface Api {
  readonly host: string;
  request<T>(method: string, path: string, options?: RequestOptions): Promise<T>;
}

export function createApi(host: string, token: string, fetchFn: typeof fetch = fetch): Api {
  return {
    host,
    async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
      const url = new URL(path, `${host}/`);
      for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined && v !== false) url.searchParams.set(k, String(v));
      const headers: Record<string, string> = { authorization: `Bearer ${options.token ?? token}`, accept: "application/json" };
      let body: BodyInit | undefined;
      if (options.form) body = options.form;
      else if (options.json !== undefined) {
        body = JSON.stringify(options.json);
        headers["content-type"] = "application/json";
      }
      let res: Response;
      try {
        res = await fetchFn(url, { method, headers, ...(body !== undefined ? { body } : {}) });
      } catch (e) {
        const cause = e instanceof Error && e.cause instanceof Error ? e.cause.message : e instanceof Error ? e.message : String(e);
        throw new ConnectionError(`cannot reach ${host} (${cause})`);
      }
      const text = await res.text();
      let json: unknown;
      try {
        json = text === "" ? undefined : JSON.parse(text);
      } catch {
        json = undefined;
      }
      if (!res.ok) {
        const error = (json as { error?: unknown } | undefined)?.error;
        const message = typeof error === "string" && error !== "" ? `${error} (HTTP ${res.status})` : `${method} ${url.pathname} answered HTTP ${res.status}`;
        throw new ApiError(res.status, message, json);
      }
      if (json === undefined) throw new ApiError(res.status, `${method} ${url.pathname}: the answer is not JSON`, undefined);
      return json as T;
    },
  };
}

/** The server's own `error` text from an ApiError's body, if it has one. */
export function serverError(e: ApiError): string | undefined {
  const error = (e.body as { error?: unknown } | undefined)?.error;
  return typeof error === "string" && error !== "" ? error : undefined;
}
