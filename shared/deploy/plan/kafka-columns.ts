/**
 * @module deploy/plan/kafka-columns
 * A Kafka datasource's table gets the connector's meta columns (`__value`,
 * `__topic`, `__partition`, `__offset`, `__timestamp`, `__key`, and
 * `__headers` with `KAFKA_STORE_HEADERS True`) after its declared ones, as
 * Tinybird adds them; a meta column the schema declares itself is kept as
 * written. Applied to the project before anything else is planned, so the
 * table, its quarantine, its identity and the manifest all see the same schema.
 */
import type { ColumnDefinition, DatasourceFile } from "../../datafiles/ast.js";
import { parseClickHouseType } from "../../datafiles/types.js";
import { kafkaMetaColumns } from "../../connectors/kafka-sql.js";
import type { Project } from "../project.js";

export function withKafkaMetaColumns(ds: DatasourceFile): DatasourceFile {
  if (!ds.kafka) return ds;
  const declared = new Set(ds.columns.map((c) => c.name));
  const added: ColumnDefinition[] = [];
  for (const meta of kafkaMetaColumns(ds.kafka)) {
    if (declared.has(meta.name)) continue;
    const parsed = parseClickHouseType(meta.type);
    // The meta types are constants of kafka-sql.ts; one that does not parse is a bug there.
    if (!parsed.ok) throw new Error(`kafka meta column ${meta.name}: ${parsed.message}`);
    added.push({ file: ds.path, line: 0, name: meta.name, type: meta.type, dataType: parsed.type, nullable: false });
  }
  return added.length === 0 ? ds : { ...ds, columns: [...ds.columns, ...added] };
}

export function projectWithKafkaMetaColumns(project: Project): Project {
  if (![...project.datasources.values()].some((ds) => ds.kafka)) return project;
  return { ...project, datasources: new Map([...project.datasources].map(([name, ds]) => [name, withKafkaMetaColumns(ds)])) };
}
