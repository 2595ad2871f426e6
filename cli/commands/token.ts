/**
 * `tern token ls|copy|refresh|rm|create static|create jwt`, as `tb token`:
 * the Token API. Static tokens are stored by the server; JWTs are signed by
 * it with the workspace admin token and never stored.
 */
import type { Command } from "../command.js";
import { UsageError } from "../command.js";
import { parse, REMOTE_HELP, REMOTE_OPTIONS } from "../args.js";
import { formatTable } from "../format/table.js";
import { connect } from "../remote.js";

interface TokenInfo {
  id?: string;
  name: string;
  description?: string | null;
  scopes: Array<{ type: string; resource?: string; filter?: string }>;
  token: string;
  origin?: string;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** `90`, `30s`, `15m`, `1h`, `2d`, `1w` → seconds. */
export function parseTtl(ttl: string): number {
  const m = /^(\d+)\s*([smhdw]?)$/.exec(ttl.trim());
  if (!m || Number(m[1]) <= 0) throw new UsageError(`--ttl takes a duration like 30m, 1h, 7d (got '${ttl}')`);
  return Number(m[1]) * UNITS[m[2] || "s"]!;
}

/**
 * `--scope` and `--resource` in the order given: a `--resource` belongs to the
 * `--scope` before it (as `tb token create`); `--scope TYPE:resource` also works.
 */
export function scopesFromArgs(args: readonly string[]): Array<{ type: string; resource?: string }> {
  const out: Array<{ type: string; resource?: string }> = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.includes("=") && arg.startsWith("--") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    if (flag !== "--scope" && flag !== "--resource") continue;
    const value = inline ?? args[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    if (flag === "--scope") {
      const m = /^([A-Z_]+:[A-Z_]+|[A-Z_]+)(?::(.+))?$/.exec(value);
      if (!m) throw new UsageError(`--scope takes TYPE or TYPE:resource, e.g. PIPES:READ:top_pages (got '${value}')`);
      out.push({ type: m[1]!, ...(m[2] ? { resource: m[2] } : {}) });
    } else {
      const last = out.at(-1);
      if (!last) throw new UsageError("--resource must follow the --scope it belongs to");
      if (last.resource) throw new UsageError(`--scope ${last.type} already has the resource '${last.resource}'`);
      last.resource = value;
    }
  }
  return out;
}

/** `k=v,k2=v2` → an object; numbers stay strings (the pipe's template types them). */
export function parseFixedParams(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(",")) {
    if (part.trim() === "") continue;
    const eq = part.indexOf("=");
    if (eq <= 0) throw new UsageError(`--fixed-params takes k=v,k2=v2 (got '${part}')`);
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

function scopeText(s: TokenInfo["scopes"][number]): string {
  return [s.type, s.resource, s.filter].filter(Boolean).join(":");
}

const CREATE_OPTIONS = {
  ...REMOTE_OPTIONS,
  scope: { type: "string", multiple: true },
  resource: { type: "string", multiple: true },
  description: { type: "string" },
  ttl: { type: "string" },
  "fixed-params": { type: "string", multiple: true },
  filter: { type: "string" },
  rps: { type: "string" },
  jwt: { type: "boolean", default: false },
  static: { type: "boolean", default: false },
} as const;

export const token: Command = {
  name: "token",
  summary: "List, create, copy, refresh and delete tokens; mint JWTs",
  help: `Usage: tern token <subcommand> [options]

Subcommands:
  ls                          the workspace's static tokens and their scopes
  copy <name>                 print the token's secret
  refresh <name>              give the token a new secret (the old one stops working)
  rm <name>                   delete the token
  create static <name> --scope TYPE[:resource] [--resource r] …
                              create (or update) a static token; e.g.
                              --scope PIPES:READ --resource top_pages --scope DATASOURCES:APPEND:events
  create jwt <name> --ttl 1h --scope PIPES:READ --resource <pipe> [--fixed-params k=v,…] [--rps N]
                              mint a JWT and print it; also \`tern token create --jwt <name> …\`

Options:
  --scope <scope>             a scope (repeatable); a following --resource names its resource
  --resource <name>           the pipe or datasource of the --scope before it
  --description <text>        static tokens
  --ttl <duration>            JWT lifetime: 30m, 1h, 7d (default 1h)
  --fixed-params k=v,…        JWT: values the caller cannot override (to the last PIPES:READ scope)
  --filter <sql>              JWT: row filter for the last DATASOURCES:READ scope
  --rps <n>                   JWT: requests per second allowed
${REMOTE_HELP}`,
  async run(args, io) {
    const [sub, ...rest0] = args;
    if (!sub) throw new UsageError("missing subcommand");
    if (!["ls", "copy", "refresh", "rm", "create"].includes(sub)) throw new UsageError(`unknown subcommand '${sub}'`);

    if (sub === "create") {
      let kind: "static" | "jwt" | undefined;
      let rest = rest0;
      if (rest[0] === "static" || rest[0] === "jwt") {
        kind = rest[0];
        rest = rest.slice(1);
      }
      const { values, positionals } = parse(rest, CREATE_OPTIONS, { min: 1, max: 1 });
      if (values.jwt && values.static) throw new UsageError("--jwt and --static exclude each other");
      if (values.jwt) kind = kind === "static" ? undefined : "jwt";
      if (values.static) kind = kind === "jwt" ? undefined : "static";
      if (!kind) throw new UsageError("say which kind: `tern token create static <name>` or `tern token create jwt <name>`");
      const name = positionals[0]!;
      const scopes = scopesFromArgs(rest);
      if (scopes.length === 0) throw new UsageError("give at least one --scope");
      const api = await (await connect(io, values)).api();

      if (kind === "static") {
        if (values.ttl || values["fixed-params"] || values.rps || values.filter) throw new UsageError("--ttl, --fixed-params, --filter and --rps are for JWTs");
        const created = await api.request<TokenInfo>("POST", "/v0/tokens", {
          query: { name, ...(values.description !== undefined ? { description: values.description } : {}) },
          params: scopes.map((s) => ["scope", s.resource ? `${s.type}:${s.resource}` : s.type] as [string, string]),
        });
        if (values.json) io.out(JSON.stringify(created, null, 2));
        else io.out(`Token '${created.name}' saved with ${created.scopes.map(scopeText).join(", ") || "no scopes"}; print it with \`tern token copy ${created.name}\``);
        return 0;
      }

      const ttl = parseTtl(values.ttl ?? "1h");
      const body: {
        name: string;
        scopes: Array<{ type: string; resource: string; fixed_params?: Record<string, string>; filter?: string }>;
        limits?: { rps: number };
      } = { name, scopes: [] };
      for (const s of scopes) {
        if (!s.resource) throw new UsageError(`JWT scopes need a resource: --scope ${s.type} --resource <name>`);
        body.scopes.push({ type: s.type, resource: s.resource });
      }
      if (values["fixed-params"]) {
        const target = body.scopes.filter((s) => s.type === "PIPES:READ").at(-1);
        if (!target) throw new UsageError("--fixed-params needs a PIPES:READ scope");
        target.fixed_params = Object.assign({}, ...values["fixed-params"].map(parseFixedParams));
      }
      if (values.filter) {
        const target = body.scopes.filter((s) => s.type === "DATASOURCES:READ").at(-1);
        if (!target) throw new UsageError("--filter needs a DATASOURCES:READ scope");
        target.filter = values.filter;
      }
      if (values.rps !== undefined) {
        const rps = Number(values.rps);
        if (!Number.isInteger(rps) || rps <= 0) throw new UsageError("--rps takes a positive whole number");
        body.limits = { rps };
      }
      const expiration = Math.floor(Date.now() / 1000) + ttl;
      const res = await api.request<{ token: string }>("POST", "/v0/tokens/", { query: { expiration_time: String(expiration) }, json: body });
      if (values.json) io.out(JSON.stringify({ ...res, expiration_time: expiration }, null, 2));
      else io.out(res.token);
      return 0;
    }

    const arity = sub === "ls" ? 0 : 1;
    const { values, positionals } = parse(rest0, REMOTE_OPTIONS, { min: arity, max: arity });
    const api = await (await connect(io, values)).api();

    if (sub === "ls") {
      const { tokens } = await api.request<{ tokens: TokenInfo[] }>("GET", "/v0/tokens");
      if (values.json) {
        io.out(JSON.stringify({ tokens }, null, 2));
        return 0;
      }
      io.out(formatTable(["NAME", "SCOPES", "DESCRIPTION"], tokens.map((t) => [t.name, t.scopes.map(scopeText).join(", "), t.description ?? ""])));
      return 0;
    }

    const name = positionals[0]!;
    const path = `/v0/tokens/${encodeURIComponent(name)}`;
    if (sub === "copy") {
      const t = await api.request<TokenInfo>("GET", path);
      if (values.json) io.out(JSON.stringify(t, null, 2));
      else io.out(t.token);
      return 0;
    }
    if (sub === "refresh") {
      const t = await api.request<TokenInfo>("POST", `${path}/refresh`);
      if (values.json) io.out(JSON.stringify(t, null, 2));
      else io.out(`Token '${t.name}' refreshed: the old secret no longer works; print the new one with \`tern token copy ${t.name}\``);
      return 0;
    }
    await api.request("DELETE", path);
    if (values.json) io.out(JSON.stringify({ result: "deleted", name }, null, 2));
    else io.out(`Token '${name}' deleted`);
    return 0;
  },
};
