/**
 * @module deploy/references
 * References between datafiles outside SQL: a materialized view's
 * `DATASOURCE`, a copy's `TARGET_DATASOURCE`, a sink's
 * `EXPORT_CONNECTION_NAME`, a datasource's `KAFKA_CONNECTION_NAME` and
 * `IMPORT_CONNECTION_NAME`. A missing one is reported at its directive.
 */
import type { Datafile, DatafileKind, SourcePosition } from "../datafiles/index.js";
import type { Problems } from "./problems.js";

/** Whether the project has a datafile of that kind and name (one that failed to load counts: it has its own problem). */
export type HasResource = (kind: DatafileKind, name: string) => boolean;

export function checkReferences(file: Datafile, text: string, has: HasResource, problems: Problems): void {
  // The parser keeps no position for these directives; the first line that starts with one is it
  // (an INCLUDEd directive is not in `text`: the file's first line stands in).
  const at = (keyword: string): SourcePosition => {
    const index = text.split("\n").findIndex((l) => new RegExp(`^\\s*${keyword}\\b`).test(l));
    return { file: file.path, line: index < 0 ? 1 : index + 1, column: 1 };
  };
  const report = (keyword: string, message: string) => problems.add(file.path, at(keyword), message);

  if (file.kind === "datasource") {
    if (file.kafka && !has("connection", file.kafka.connectionName)) {
      report("KAFKA_CONNECTION_NAME", `connection '${file.kafka.connectionName}' is not in the project`);
    }
    if (file.import && !has("connection", file.import.connectionName)) {
      report("IMPORT_CONNECTION_NAME", `connection '${file.import.connectionName}' is not in the project`);
    }
  } else if (file.kind === "pipe") {
    const pub = file.publication;
    if (pub.type === "materialized" && !has("datasource", pub.datasource)) {
      report("DATASOURCE", `materialized node '${pub.node}' writes to datasource '${pub.datasource}', which is not in the project`);
    }
    if (pub.type === "copy" && !has("datasource", pub.targetDatasource)) {
      report("TARGET_DATASOURCE", `copy node '${pub.node}' targets datasource '${pub.targetDatasource}', which is not in the project`);
    }
    if (pub.type === "sink" && !has("connection", pub.connectionName)) {
      report("EXPORT_CONNECTION_NAME", `sink node '${pub.node}' uses connection '${pub.connectionName}', which is not in the project`);
    }
  }
}
