/**
 * @module datasources/connectors
 * `GET /v0/connectors`: the live deployment's connections (`.connection`
 * files) as Tinybird's Connectors API lists them, which `tb connection ls`
 * reads: `id`, `name`, `service` and the datasources linked to each
 * (`linkers`). Settings are left out: they hold secrets. Needs an admin token.
 */
import type { LiveDeployment } from "../catalog/client.js";

export function listConnectors(live: LiveDeployment | undefined) {
  const manifest = live?.manifest;
  if (!manifest) return { connectors: [] };
  const datasources = Object.values(manifest.datasources);
  return {
    connectors: Object.entries(manifest.connections)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, file]) => ({
        id: name,
        name,
        service: file.connection.type,
        linkers: datasources
          .filter((ds) => ds.file.kafka?.connectionName === name || ds.file.import?.connectionName === name)
          .map((ds) => ({ datasource_id: ds.name, name: ds.name })),
        settings: {},
      })),
  };
}
