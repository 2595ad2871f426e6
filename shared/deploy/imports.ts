/**
 * @module deploy/imports
 * Validator step for S3/GCS import datasources (`IMPORT_*`), each problem at
 * its directive: the bucket URI (scheme, bucket, a key pattern whose extension
 * gives the format), and the connection it names (`TYPE s3` for `s3://`,
 * `TYPE gcs` for `gs://`, with a key pair Tern can read with). Reaching the
 * bucket is the Worker's (`deploy --check`, workers/deploy/s3-imports.ts).
 */
import { importConnectionProblem, parseImportUri } from "../connectors/import-source.js";
import type { ConnectionFile, Datafile, SourcePosition } from "../datafiles/index.js";
import type { Problems } from "./problems.js";

export function checkImports(file: Datafile, text: string, connection: (name: string) => ConnectionFile | undefined, problems: Problems): void {
  if (file.kind !== "datasource" || !file.import) return;
  // The parser keeps no position for these directives; the first line that starts with one is it.
  const at = (keyword: string): SourcePosition => {
    const index = text.split("\n").findIndex((l) => new RegExp(`^\\s*${keyword}\\b`).test(l));
    return { file: file.path, line: index < 0 ? 1 : index + 1, column: 1 };
  };
  const settings = file.import;
  if (!settings.bucketUri) return; // IMPORT_TABLE_ARN (DynamoDB) is not read by Tern: the table deploys without an import
  const uri = parseImportUri(settings.bucketUri);
  if (!uri.ok) {
    problems.add(file.path, at("IMPORT_BUCKET_URI"), uri.message);
    return;
  }
  const conn = connection(settings.connectionName);
  if (!conn) return; // a missing connection is the references step's problem
  const problem = importConnectionProblem(conn, uri.uri.scheme);
  if (problem) problems.add(file.path, at("IMPORT_CONNECTION_NAME"), problem);
}
