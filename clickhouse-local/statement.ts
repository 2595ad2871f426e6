/**
 * The statement a request carries: the query text (URL `query=`, the body, or
 * both joined) and, for INSERT, the data that follows it.
 */
import type { IncomingMessage } from "node:http";
import { parseMultipart } from "./body.js";
import type { RequestSpec } from "./request.js";
import { statementKind } from "./sql.js";

export interface Statement {
  /** Query text; "" when the body is the INSERT statement followed by its data. */
  sql: string;
  /** INSERT data following the query text (may be empty). */
  data: Buffer | undefined;
  kind: ReturnType<typeof statementKind>;
}

export function statementOf(spec: RequestSpec, body: Buffer, req: IncomingMessage): Statement {
  let urlQuery = spec.urlQuery;
  if (String(req.headers["content-type"] ?? "").toLowerCase().startsWith("multipart/form-data")) {
    const parts = parseMultipart(body, String(req.headers["content-type"]));
    for (const [name, value] of parts) {
      if (name.startsWith("param_")) spec.params[name.slice("param_".length)] = value.toString("utf8");
    }
    const q = parts.get("query");
    if (q !== undefined) urlQuery = urlQuery === undefined ? q.toString("utf8") : `${urlQuery}\n${q.toString("utf8")}`;
    body = Buffer.alloc(0);
  }
  if (spec.method === "GET") body = Buffer.alloc(0);
  if (urlQuery !== undefined) {
    const kind = statementKind(urlQuery);
    if (kind === "insert") return { sql: urlQuery, data: body, kind };
    const sql = body.length > 0 ? `${urlQuery}\n${body.toString("utf8")}` : urlQuery;
    return { sql, data: undefined, kind: statementKind(sql) };
  }
  // The query is the body. INSERT data may follow it inline (possibly binary), so keep it as bytes.
  const head = body.subarray(0, 4096).toString("utf8");
  const kind = statementKind(head);
  if (kind === "insert") return { sql: "", data: body, kind };
  return { sql: body.toString("utf8"), data: undefined, kind };
}

/** The statement text for logs and `KILL QUERY` answers (INSERT data left out). */
export function statementText(stmt: Statement): string {
  if (stmt.kind === "insert" && stmt.sql === "") {
    const head = (stmt.data ?? Buffer.alloc(0)).subarray(0, 4096).toString("utf8");
    return head.split("\n", 1)[0] ?? "";
  }
  return stmt.sql;
}
