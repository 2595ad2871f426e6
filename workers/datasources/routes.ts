/**
 * @module datasources/routes
 * The Data Sources API, mounted at `/v0/datasources`: list and describe,
 * append/replace from a file or URL (append.ts), truncate and delete rows
 * (manage.ts). Each route parses, calls the role function, answers.
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../api/context.js";
import { requireAuth } from "../auth/require.js";
import { appendOrReplace } from "./append.js";
import { listConnectors } from "./connectors.js";
import { getDatasource, listDatasources } from "./describe.js";
import { deleteRows, truncateDatasource } from "./manage.js";

export const datasourceRoutes = new Hono<AppEnv>();

function live(c: Context<AppEnv>) {
  return c.get("platform").catalog.liveDeployment(c.get("principal").workspaceId);
}

datasourceRoutes.get("/", requireAuth(), async (c) => {
  return c.json({ datasources: await listDatasources(c.get("platform"), c.get("principal"), await live(c)) });
});

datasourceRoutes.get("/:name", requireAuth(), async (c) => {
  const param = c.req.param("name");
  const out = await getDatasource(c.get("platform"), c.get("principal"), {
    live: await live(c),
    name: param.replace(/\.datasource$/, ""),
    asDatafile: param.endsWith(".datasource") || c.req.query("format") === "datasource",
  });
  if ("datafile" in out) return c.text(out.datafile, 200, { "content-type": "text/plain; charset=utf-8" });
  return c.json(out.description);
});

datasourceRoutes.post("/", requireAuth(), async (c) => {
  const out = await appendOrReplace(c.get("platform"), c.get("principal"), {
    live: await live(c),
    query: c.req.query(),
    body: c.req.raw,
    origin: new URL(c.req.url).origin,
  });
  return c.json(out);
});

datasourceRoutes.post("/:name/truncate", requireAuth(), async (c) => {
  return c.json(await truncateDatasource(c.get("platform"), c.get("principal"), { live: await live(c), name: c.req.param("name") }));
});

datasourceRoutes.post("/:name/delete", requireAuth(), async (c) => {
  const body = await c.req.parseBody().catch(() => ({}));
  const out = await deleteRows(c.get("platform"), c.get("principal"), {
    live: await live(c),
    name: c.req.param("name"),
    form: { ...c.req.query(), ...body },
    origin: new URL(c.req.url).origin,
  });
  return c.json(out);
});

/**
 * Mounted at `/v1/datasources`: Tinybird's CLI appends and replaces here, the
 * file as the whole body (`format=` names it) or `url=`; the same import as
 * `POST /v0/datasources?name=&mode=`.
 */
export const datasourceV1Routes = new Hono<AppEnv>();

datasourceV1Routes.post("/:name/:mode{append|replace}", requireAuth(), async (c) => {
  const out = await appendOrReplace(c.get("platform"), c.get("principal"), {
    live: await live(c),
    query: { ...c.req.query(), name: c.req.param("name"), mode: c.req.param("mode") },
    body: c.req.raw,
    origin: new URL(c.req.url).origin,
  });
  return c.json(out);
});

/** Mounted at `/v0/connectors`: the live deployment's connections (connectors.ts); admin tokens only. */
export const connectorRoutes = new Hono<AppEnv>();

connectorRoutes.get("/", requireAuth({ kind: "admin" }), async (c) => c.json(listConnectors(await live(c))));
