/**
 * @module environments/routes
 * What the URL map mounts from this room: `/v0/variables` (secrets.ts).
 */
export { secretRoutes } from "./secrets.js";
