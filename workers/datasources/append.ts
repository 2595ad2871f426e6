/**
 * @module datasources/append
 * `POST /v0/datasources?name=<ds>&mode=append|replace`: a file (multipart part
 * `csv`, as Tinybird's SDK sends even for NDJSON/Parquet; `ndjson`, `parquet`
 * and `file` too) or `url=`. CSV is checked by ClickHouse (../write/import-csv.ts),
 * NDJSON by the Events API's validator, Parquet is read by ClickHouse into the
 * schema by column name (../write/parquet.ts: a file that does not fit is refused whole).
 * The file may also be the whole body (`/v1/datasources/<name>/append|replace`,
 * as Tinybird's CLI sends it). A replace with `replace_condition` replaces only
 * the rows matching it. Each import is recorded as a job and in the ops log.
 */
import { z } from "zod";
import { ensureAllowed } from "../auth/require.js";
import type { Principal } from "../auth/principal.js";
import type { LiveDeployment } from "../catalog/client.js";
import { clickhouseMessage, fromClickHouse } from "../clickhouse/errors.js";
import type { Platform } from "../platform/platform.js";
import { BadRequestError, PayloadTooLargeError, TernError, invalidRequest } from "../../shared/errors.js";
import { quoteQualifiedName } from "../../shared/sql/ddl/index.js";
import { validateNdjson } from "../../shared/ingest/index.js";
import { jobJson } from "./jobs.js";
import { checkedCondition } from "./manage.js";
import { importCsv } from "../write/import-csv.js";
import { insertJsonLines } from "../write/insert.js";
import { logOps } from "../write/ops-log.js";
import { importParquet, looksLikeParquet } from "../write/parquet.js";
import { liveDatasource } from "../write/target.js";
import { validatorFor } from "../write/validators.js";

const MAX_IMPORT_BYTES = 100 * 1024 * 1024;

const Query = z.object({
  name: z.string({ error: "The 'name' parameter is required" }).min(1, "The 'name' parameter is required"),
  mode: z.enum(["append", "replace", "create"], { error: "mode must be append or replace" }).default("append"),
  format: z.enum(["csv", "ndjson", "jsonl", "parquet"], { error: "format must be csv, ndjson or parquet" }).optional(),
  dialect_delimiter: z.string().max(1).optional(),
  url: z.url({ error: "url must be an http(s) URL" }).optional(),
  replace_condition: z.string().trim().min(1, "replace_condition must not be empty").optional(),
});

type Format = "csv" | "ndjson" | "parquet";

/** `format=` first, then the file name's extension, then the multipart part's name; CSV otherwise. */
function formatFrom(name: string | undefined, explicit: string | undefined, field?: string): Format {
  if (explicit) return explicit === "jsonl" ? "ndjson" : (explicit as Format);
  const ext = name?.toLowerCase().match(/\.(csv|ndjson|jsonl|json|parquet)(\.gz)?$/)?.[1];
  if (ext === "ndjson" || ext === "jsonl" || ext === "json") return "ndjson";
  if (ext === "parquet") return "parquet";
  if (ext === undefined && (field === "ndjson" || field === "parquet")) return field;
  return "csv";
}

async function source(body: Request, query: z.infer<typeof Query>): Promise<{ bytes: Uint8Array; filename?: string; field?: string; url?: string }> {
  const type = body.headers.get("content-type") ?? "";
  let url = query.url;
  if (type.includes("multipart/form-data")) {
    const form = await body.formData();
    for (const field of ["csv", "ndjson", "parquet", "file"]) {
      const part = form.get(field) as unknown as File | string | null;
      if (part && typeof part !== "string") {
        if (part.size > MAX_IMPORT_BYTES) throw new PayloadTooLargeError("The file is larger than the 100 MB import limit");
        return { bytes: new Uint8Array(await part.arrayBuffer()), filename: part.name, field };
      }
    }
    throw new BadRequestError("No file: send it as the multipart part 'csv' (also for NDJSON and Parquet)");
  }
  if (type.includes("application/x-www-form-urlencoded")) {
    const fromForm = (await body.formData()).get("url");
    if (typeof fromForm === "string") url = fromForm;
  } else if (!url && body.body) {
    // The file as the whole body (Tinybird's CLI: `/v1/datasources/<name>/append` with `text/csv`, `application/x-ndjson`, Parquet).
    const bytes = new Uint8Array(await body.arrayBuffer());
    if (bytes.byteLength > MAX_IMPORT_BYTES) throw new PayloadTooLargeError("The file is larger than the 100 MB import limit");
    if (bytes.byteLength > 0) return { bytes };
  }
  if (!url) throw new BadRequestError("Send a file (multipart part 'csv', or the whole body) or a url= to import from");
  const parsed = z.url().safeParse(url);
  if (!parsed.success || !/^https?:/.test(url)) throw new BadRequestError("url must be an http(s) URL");
  const res = await fetch(url);
  if (!res.ok) throw new BadRequestError(`Could not download ${url}: HTTP ${res.status}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes.byteLength > MAX_IMPORT_BYTES) throw new PayloadTooLargeError("The file is larger than the 100 MB import limit");
  return { bytes, filename: new URL(url).pathname };
}

/** Where a replace with a condition builds the datasource's new contents. */
const keptTable = (aside: string) => `${aside}_kept`;

async function maybeGunzip(bytes: Uint8Array, filename: string | undefined): Promise<Uint8Array> {
  const gz = bytes[0] === 0x1f && bytes[1] === 0x8b;
  if (!gz && !filename?.endsWith(".gz")) return bytes;
  const out = new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip")));
  return new Uint8Array(await out.arrayBuffer());
}

export interface ImportRequest {
  live: LiveDeployment | undefined;
  /** The URL's parameters: `name`, `mode`, `format`, `dialect_delimiter`, `url`. */
  query: Record<string, string>;
  /** The request, whose body (a multipart file, or a form's `url=`) is read once the datasource is known. */
  body: Request;
  /** The server's origin as the caller reached it (the job's URL). */
  origin: string;
}

/** Appends to (or replaces) a datasource's rows from a file or URL, as an import job; answers with the job and the row counts. */
export async function appendOrReplace(platform: Platform, principal: Principal, req: ImportRequest) {
  const parsedQuery = Query.safeParse(req.query);
  if (!parsedQuery.success) throw invalidRequest(parsedQuery.error);
  const query = parsedQuery.data;
  const mode = query.mode === "replace" ? "replace" : "append";
  ensureAllowed(principal, mode === "replace" ? { kind: "create_datasource" } : { kind: "append", datasource: query.name });
  const { manifest, ds } = liveDatasource(req.live, query.name);
  const parquetUrl = query.url && formatFrom(new URL(query.url).pathname, query.format) === "parquet";
  const source_ = parquetUrl ? { bytes: new Uint8Array(), filename: new URL(query.url!).pathname, url: query.url } : await source(req.body, query);
  const bytes = await maybeGunzip(source_.bytes, source_.filename);
  let format = formatFrom(source_.filename, query.format, "field" in source_ ? source_.field : undefined);
  // A Parquet file sent under a name without its extension (the SDK's part `csv`, `blob`, …).
  if (format === "csv" && !query.format && !/\.(csv|tsv|txt)(\.gz)?$/i.test(source_.filename ?? "") && looksLikeParquet(bytes)) format = "parquet";
  const ch = platform.clickhouse.admin;
  if (query.replace_condition !== undefined && mode !== "replace") throw new BadRequestError("replace_condition applies to mode=replace only");
  const condition = query.replace_condition;
  if (condition !== undefined) await checkedCondition(platform, { manifest, ds, name: query.name }, condition, "replace_condition");
  const catalog = platform.catalog.workspace(principal.workspaceId);
  const importId = platform.requestId;
  const job = await catalog.createJob({ id: importId, kind: "import", datasource: query.name, status: "working" });
  const started = platform.clock.now();
  // Replace builds the new contents aside, then swaps them in.
  const into = mode === "replace" ? `${ds.table}__replace_${importId.replace(/[^A-Za-z0-9]/g, "").slice(0, 12)}` : ds.table;
  try {
    if (mode === "replace") {
      await ch.command({ query: `CREATE TABLE ${quoteQualifiedName(manifest.database, into)} AS ${quoteQualifiedName(manifest.database, ds.table)}` });
    }
    let counts: { rows: number; quarantined: number };
    if (format === "csv") {
      counts = await importCsv(ch, manifest.database, ds, new TextDecoder().decode(bytes), {
        importId,
        dialect: query.dialect_delimiter ? { delimiter: query.dialect_delimiter } : {},
        into,
      });
    } else if (format === "ndjson") {
      const r = validateNdjson(bytes, validatorFor(manifest, ds), { importId, now: new Date(platform.clock.now()) });
      await insertJsonLines(ch, { database: manifest.database, table: into }, r.validLines.join("\n"), { dedupToken: importId, rows: r.validCount });
      await insertJsonLines(ch, { database: manifest.database, table: ds.quarantineTable }, r.quarantineLines.join("\n"), { dedupToken: `${importId}-q`, rows: r.quarantine.length });
      counts = { rows: r.validCount, quarantined: r.quarantine.length };
    } else {
      // Uploaded bytes go inline in the query; from a URL, ClickHouse downloads the file itself.
      counts = await importParquet(ch, manifest.database, ds, source_.url ? { url: source_.url } : { bytes }, { importId, into });
    }
    if (mode === "replace") {
      const live = quoteQualifiedName(manifest.database, ds.table);
      let from = quoteQualifiedName(manifest.database, into);
      if (condition !== undefined) {
        // Only the rows matching the condition are replaced: the live rows that do not match are kept,
        // the file's rows that match come in (a row whose condition is NULL counts as not matching).
        const merged = quoteQualifiedName(manifest.database, keptTable(into));
        await ch.command({ query: `CREATE TABLE ${merged} AS ${live}` });
        await ch.command({ query: `INSERT INTO ${merged} SELECT * FROM ${live} WHERE NOT ifNull((${condition}), false)` });
        await ch.command({ query: `INSERT INTO ${merged} SELECT * FROM ${from} WHERE ifNull((${condition}), false)` });
        from = merged;
      }
      await ch.command({ query: `TRUNCATE TABLE ${live}` });
      await ch.command({ query: `INSERT INTO ${live} SELECT * FROM ${from}` });
    }
    const done = await catalog.updateJob(job.id, { status: "done", statistics: { rows: counts.rows, quarantine_rows: counts.quarantined, bytes: bytes.byteLength } });
    logOps(platform, [{
        workspaceId: principal.workspaceId, eventType: mode, datasource: query.name, result: "ok",
        elapsedSeconds: (platform.clock.now() - started) / 1000, requestId: importId, importId, jobId: job.id,
        rows: counts.rows, rowsQuarantine: counts.quarantined, writtenBytes: bytes.byteLength, options: { format, mode },
      }]);
    return {
      ...jobJson(done!, req.origin),
      import_id: importId,
      successful_rows: counts.rows,
      quarantined_rows: counts.quarantined,
      invalid_lines: 0,
    };
  } catch (e) {
    await catalog.updateJob(job.id, { status: "error", error: e instanceof TernError ? e.message : clickhouseMessage(e) });
    logOps(platform, [{
        workspaceId: principal.workspaceId, eventType: mode, datasource: query.name, result: "error",
        elapsedSeconds: (platform.clock.now() - started) / 1000, error: clickhouseMessage(e), requestId: importId, importId, jobId: job.id, rows: 0, rowsQuarantine: 0,
      }]);
    if (e instanceof TernError) throw e;
    throw fromClickHouse(e);
  } finally {
    if (mode === "replace") {
      await ch.command({ query: `DROP TABLE IF EXISTS ${quoteQualifiedName(manifest.database, into)}` }).catch(() => undefined);
      if (condition !== undefined) await ch.command({ query: `DROP TABLE IF EXISTS ${quoteQualifiedName(manifest.database, keptTable(into))}` }).catch(() => undefined);
    }
  }
}
