/**
 * @module upload
 * Uploads a local file to `POST /v0/datasources` as the multipart part `csv`
 * (as Tinybird's SDK sends it, for CSV and NDJSON alike), streamed from disk:
 * the body is a ReadableStream that counts the bytes it hands to fetch, so a
 * progress bar can follow large files without reading them into memory.
 */
import { open, stat } from "node:fs/promises";
import { basename } from "node:path";
import type { CliIO } from "./command.js";
import { apiErrorFrom, type Api } from "./http.js";

const CHUNK = 256 * 1024;

export interface ImportResult {
  id?: string;
  job_id?: string;
  status?: string;
  import_id?: string;
  successful_rows: number;
  quarantined_rows: number;
  error?: string;
}

/** A multipart body around a file, streamed; `onBytes(sent)` after each chunk of the file. */
export async function multipartFile(
  path: string,
  field: string,
  onBytes: (sent: number, total: number) => void,
): Promise<{ body: ReadableStream<Uint8Array>; contentType: string; length: number; size: number }> {
  const size = (await stat(path)).size;
  const boundary = `----tern${Math.random().toString(16).slice(2)}${Date.now().toString(16)}`;
  const name = basename(path).replace(/["\r\n]/g, "_");
  const enc = new TextEncoder();
  const head = enc.encode(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const tail = enc.encode(`\r\n--${boundary}--\r\n`);
  const file = await open(path, "r");
  let sent = 0;
  let stage: "head" | "file" | "tail" | "done" = "head";
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (stage === "head") {
        controller.enqueue(head);
        stage = "file";
        return;
      }
      if (stage === "file") {
        const buf = new Uint8Array(CHUNK);
        const { bytesRead } = await file.read(buf, 0, CHUNK, sent);
        if (bytesRead > 0) {
          sent += bytesRead;
          controller.enqueue(buf.subarray(0, bytesRead));
          onBytes(sent, size);
          return;
        }
        stage = "tail";
      }
      if (stage === "tail") {
        controller.enqueue(tail);
        stage = "done";
        await file.close();
        controller.close();
      }
    },
    async cancel() {
      await file.close();
    },
  });
  return { body, contentType: `multipart/form-data; boundary=${boundary}`, length: head.byteLength + size + tail.byteLength, size };
}

/** `12.3 MB`-style sizes. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

/** A one-line bar on stderr, redrawn in place; nothing unless stderr is a terminal. */
export function progressBar(io: CliIO, label: string): { update(sent: number, total: number): void; done(): void } {
  const write = io.errIsTTY ? io.errWrite : undefined;
  let last = -1;
  let drawn = false;
  return {
    update(sent, total) {
      if (!write) return;
      const pct = total === 0 ? 100 : Math.floor((sent / total) * 100);
      if (pct === last) return;
      last = pct;
      const width = 30;
      const filled = Math.round((pct / 100) * width);
      write(`\r${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${String(pct).padStart(3)}% ${formatBytes(sent)} / ${formatBytes(total)}`);
      drawn = true;
    },
    done() {
      if (write && drawn) write("\n");
    },
  };
}

/** Appends (or replaces with) a local CSV/NDJSON file. */
export async function uploadFile(io: CliIO, api: Api, datasource: string, path: string, mode: "append" | "replace"): Promise<ImportResult> {
  const bar = progressBar(io, `Uploading ${basename(path)}`);
  const multipart = await multipartFile(path, "csv", (sent, total) => bar.update(sent, total));
  let res: Response;
  try {
    res = await api.raw("POST", "/v0/datasources", {
      query: { name: datasource, mode },
      body: multipart.body,
      headers: { "content-type": multipart.contentType },
    });
  } finally {
    bar.done();
  }
  const text = await res.text();
  if (!res.ok) throw apiErrorFrom(res, text, "POST /v0/datasources");
  return JSON.parse(text) as ImportResult;
}

/** Appends (or replaces with) a remote file the server downloads. */
export async function importUrl(api: Api, datasource: string, url: string, mode: "append" | "replace"): Promise<ImportResult> {
  return api.request<ImportResult>("POST", "/v0/datasources", {
    query: { name: datasource, mode },
    body: new URLSearchParams({ url }).toString(),
    headers: { "content-type": "application/x-www-form-urlencoded" },
  });
}
