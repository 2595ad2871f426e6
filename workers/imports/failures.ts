/**
 * @module imports/failures
 * A failed import (the bucket could not be listed, a file could not be read)
 * in words a user can act on, and never a credential: the `s3()` calls
 * ClickHouse runs carry the connection's key and secret, so every text that
 * leaves a run or a check (the job's error, datasources_ops_log, the deploy's
 * feedback) is scrubbed of them first, and ClickHouse's raw error object is
 * not kept as a cause.
 */
import { BadRequestError, isTernError } from "../../shared/errors.js";
import { bucketAdvice, scrubSecrets } from "../../shared/connectors/import-source.js";
import { clickhouseMessage } from "../clickhouse/errors.js";

/** The import could not run (the job is `error`). */
export class ImportFailed extends BadRequestError {}

export interface ImportContext {
  datasource: string;
  bucket: string;
  connection: string;
  service: "s3" | "gcs";
  /** Values that must never appear in a message. */
  secrets: readonly string[];
}

/** ClickHouse's text of an error, scrubbed. */
export function scrubbedMessage(e: unknown, secrets: readonly string[]): string {
  return scrubSecrets(isTernError(e) ? e.message : clickhouseMessage(e), secrets).replace(/^\[Error\]\s*/, "");
}

/** The error an import run ends its job with when the bucket cannot be listed. */
export function importFailure(e: unknown, ctx: ImportContext): ImportFailed {
  const said = scrubbedMessage(e, ctx.secrets);
  if (isTernError(e) && !e.message.startsWith("[Error]") && !e.clickhouse) return new ImportFailed(said, { cause: new Error(said) });
  const what = bucketAdvice(said, ctx);
  const message = what
    ? `The import of '${ctx.datasource}' could not list its files: ${what}. The bucket said: ${said}`
    : `The import of '${ctx.datasource}' failed in ClickHouse: ${said}`;
  return new ImportFailed(message, { cause: new Error(said) });
}
