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
  /** A raw body (text, bytes or a stream) with its content type. */
  body?: BodyInit;
  headers?: Record<string, string>;
  /** Query parameters that may repeat (`scope=a&scope=b`), added after `query`. */
  params?: Array<[string, string]>;
  /** Overrides the client's token for this call. */
  token?: string;
}

export interface Api {
  readonly host: string;
  request<T>(method: string, path: string, options?: RequestOptions): Promise<T>;
  /** The server's answer as is, whatever its status; only an unreachable host throws (ConnectionError). */
  raw(method: string, path: string, options?: RequestOptions): Promise<Response>;
}

export function createApi(host: string, token: string, fetchFn: typeof fetch = fetch): Api {
  const raw = async (method: string, path: string, options: RequestOptions = {}): Promise<Response> => {
    const url = new URL(path, `${host}/`);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined && v !== false) url.searchParams.set(k, String(v));
    for (const [k, v] of options.params ?? []) url.searchParams.append(k, v);
    const headers: Record<string, string> = { authorization: `Bearer ${options.token ?? token}`, accept: "application/json", ...options.headers };
    let body: BodyInit | undefined;
    if (options.form) body = options.form;
    else if (options.body !== undefined) body = options.body;
    else if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers["content-type"] = "application/json";
    }
    const streamed = body instanceof ReadableStream;
    try {
      // A streamed body needs duplex: "half" in Node's fetch.
      return await fetchFn(url, { method, headers, ...(body !== undefined ? { body } : {}), ...(streamed ? { duplex: "half" } : {}) } as RequestInit);
    } catch (e) {
      const cause = e instanceof Error && e.cause instanceof Error ? e.cause.message : e instanceof Error ? e.message : String(e);
      throw new ConnectionError(`cannot reach ${host} (${cause})`);
    }
  };
  return {
    host,
    raw,
    async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
      const url = new URL(path, `${host}/`);
      const res = await raw(method, path, options);
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
      if (json === undefined) {
        if (res.status === 204) return undefined as T;
        throw new ApiError(res.status, `${method} ${url.pathname}: the answer is not JSON`, undefined);
      }
      return json as T;
    },
  };
}

/** An ApiError from a non-2xx answer already read as text. */
export function apiErrorFrom(res: Response, text: string, what: string): ApiError {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const error = (json as { error?: unknown } | undefined)?.error;
  const message = typeof error === "string" && error !== "" ? `${error} (HTTP ${res.status})` : `${what} answered HTTP ${res.status}`;
  return new ApiError(res.status, message, json);
}

/** The server's own `error` text from an ApiError's body, if it has one. */
export function serverError(e: ApiError): string | undefined {
  const error = (e.body as { error?: unknown } | undefined)?.error;
  return typeof error === "string" && error !== "" ? error : undefined;
}
