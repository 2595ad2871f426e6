/**
 * @module deploy/plan/ingest-settings
 * Tables as Tern creates them: MergeTree-family tables keep a deduplication
 * window, so a retried insert with the same `insert_deduplication_token`
 * (queue redelivery) never lands twice.
 */
import type { DatasourceFile } from "../../datafiles/index.js";

export const DEDUPLICATION_WINDOW = "non_replicated_deduplication_window = 10000";

export function withIngestSettings(ds: DatasourceFile): DatasourceFile {
  const engine = ds.engine;
  if (engine.type === "Null" || engine.type === "Join") return ds;
  // A window the datafile sets itself is kept as written.
  if (engine.settings && /non_replicated_deduplication_window/.test(engine.settings)) return ds;
  const settings = [engine.settings, DEDUPLICATION_WINDOW].filter(Boolean).join(", ");
  return { ...ds, engine: { ...engine, settings } };
}
