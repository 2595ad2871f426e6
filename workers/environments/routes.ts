/**
 * @module environments/routes
 * What the URL map mounts from this room: `/v0/variables` (secrets.ts),
 * `/v1/environments` and `/v0/environments` (branches.ts).
 */
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../api/context.js";
import { requireAuth } from "../auth/require.js";
import { BadRequestError } from "../../shared/errors.js";
import { createBranch, deleteBranch, getBranch, listBranches } from "./branches.js";

export { secretRoutes } from "./secrets.js";

const BranchData = z.enum(["", "last_partition", "all_partitions"]);

const admin = requireAuth({ kind: "admin" });
const own = (c: Context<AppEnv>) => [c.get("platform"), c.get("principal")] as const;

function create(c: Context<AppEnv>) {
  const data = BranchData.safeParse(c.req.query("data") ?? "");
  if (!data.success) throw new BadRequestError("data must be last_partition, all_partitions or empty");
  return createBranch(...own(c), { name: c.req.query("name"), data: data.data, origin: new URL(c.req.url).origin });
}

const withToken = (c: Context<AppEnv>) => ["true", "1"].includes(c.req.query("with_token") ?? "");

/** Mounted at `/v1/environments`: create (`?name=&data=`), list; get and delete by id or name too. */
export const environmentRoutes = new Hono<AppEnv>();
environmentRoutes.post("/", admin, async (c) => c.json(await create(c)));
environmentRoutes.get("/", admin, async (c) => c.json(await listBranches(...own(c))));
environmentRoutes.get("/:idOrName", admin, async (c) => c.json(await getBranch(...own(c), c.req.param("idOrName"), withToken(c))));
environmentRoutes.delete("/:idOrName", admin, async (c) => c.json(await deleteBranch(...own(c), c.req.param("idOrName"))));

/** Mounted at `/v0/environments`: get (`?with_token=true`) and delete by id or name, as the SDK calls them. */
export const environmentV0Routes = new Hono<AppEnv>();
environmentV0Routes.get("/", admin, async (c) => c.json(await listBranches(...own(c))));
environmentV0Routes.get("/:idOrName", admin, async (c) => c.json(await getBranch(...own(c), c.req.param("idOrName"), withToken(c))));
environmentV0Routes.delete("/:idOrName", admin, async (c) => c.json(await deleteBranch(...own(c), c.req.param("idOrName"))));
