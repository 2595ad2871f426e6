/**
 * @module deployments
 * Deployment shapes as `/v1/deploy`, `/v1/build` and `/v1/deployments` answer
 * them, and the pieces `build`, `deploy` and `deployment` share: the changes
 * table, failure lines, and which deployment is staging.
 */
import { formatTable } from "./format/table.js";
import { ApiError } from "./http.js";

export interface Feedback {
  resource?: string | null;
  level?: string;
  message: string;
}

export interface Deployment {
  id: string;
  status: string;
  live: boolean;
  created_at?: string;
  updated_at?: string;
  feedback?: Feedback[];
  [changes: `${"new" | "changed" | "deleted"}_${string}_names`]: string[] | undefined;
}

export interface DeployResponse {
  result: "success" | "no_changes" | "failed";
  deployment?: Deployment;
  build?: Omit<Deployment, "status" | "live">;
  errors?: Array<{ filename: string; error: string }>;
  error?: string;
  feedback?: Feedback[];
}

/** Not live, and still on its way or ready: what `promote` and `discard` act on. */
export const STAGING_STATUSES = new Set(["calculating", "creating_schema", "schema_ready", "data_ready"]);

/**
 * The staging deployment: not live, in progress or ready, and newer than the
 * live one. Older ready ones are previous lives the server keeps for rollback.
 * The API does not say which deployments are retired; a newer one retired by
 * a rollback shares the live one's `updated_at` (both change in the same
 * step), which tells it apart from a real staging deployment.
 */
export function findStaging(list: readonly Deployment[]): Deployment | undefined {
  const live = list.find((d) => d.live);
  const liveId = live ? Number(live.id) : -1;
  return list
    .filter((d) => !d.live && STAGING_STATUSES.has(d.status) && Number(d.id) > liveId)
    .filter((d) => !(live?.updated_at && d.status === "data_ready" && d.updated_at === live.updated_at))
    .sort((a, b) => Number(b.id) - Number(a.id))[0];
}

const KINDS: Array<[string, string]> = [
  ["datasource", "datasource"],
  ["pipe", "pipe"],
  ["data_connector", "connection"],
];

/** `CHANGE  KIND  NAME` rows from the `new|changed|deleted_*_names` arrays; empty when nothing changes. */
export function changesTable(d: Partial<Deployment> | undefined): string {
  if (!d) return "";
  const rows: string[][] = [];
  for (const change of ["new", "changed", "deleted"] as const) {
    for (const [key, word] of KINDS) {
      for (const name of d[`${change}_${key}_names`] ?? []) rows.push([change, word, name]);
    }
  }
  return rows.length > 0 ? formatTable(["CHANGE", "KIND", "NAME"], rows) : "";
}

/** Warning lines from a deployment's feedback. */
export function warningLines(feedback: readonly Feedback[] | undefined): string[] {
  return (feedback ?? []).filter((f) => f.level === "WARNING").map((f) => `warning: ${f.resource ? `${f.resource}: ` : ""}${f.message}`);
}

/**
 * Why a build or deploy failed, one line per problem: each file's error
 * (prefixed with its file unless the message already names it), else each
 * ERROR feedback, else the server's `error`.
 */
export function failureLines(body: DeployResponse | undefined, fallback: string): string[] {
  const lines: string[] = [];
  for (const e of body?.errors ?? []) lines.push(e.error.startsWith(e.filename) ? e.error : `${e.filename}: ${e.error}`);
  if (lines.length === 0) {
    const feedback = body?.feedback ?? body?.deployment?.feedback ?? [];
    for (const f of feedback) if (f.level === "ERROR") lines.push(`${f.resource ? `${f.resource}: ` : ""}${f.message}`);
  }
  if (lines.length === 0) lines.push(body?.error || fallback);
  return lines;
}

/** The JSON body of a failed call, when it is a deploy/build answer. */
export function failedBody(e: unknown): DeployResponse | undefined {
  return e instanceof ApiError && e.body && typeof e.body === "object" ? (e.body as DeployResponse) : undefined;
}
