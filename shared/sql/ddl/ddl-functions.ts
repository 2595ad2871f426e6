/**
 * @module
 * Which functions a table definition may call: the read allowlist
 * (`isAllowedFunction` in `../guard/check.ts`, which also refuses `file`,
 * dictionaries, `hasColumnInTable`, …) minus the few that read another table
 * or stall the table's inserts (`DDL_DENIED_FUNCTIONS`).
 */
import { isAllowedFunction } from "../guard/check.js";
import { DENIED_FUNCTIONS } from "../guard/denied-functions.js";
import { DDL_DENIED_FUNCTIONS } from "./ddl-names.js";

/** Why `name` may not be called in DDL, or undefined when it may. */
export function ddlFunctionProblem(name: string): string | undefined {
  const ddl = DDL_DENIED_FUNCTIONS.get(name);
  if (ddl) return `function \`${name}\` is not allowed in a table definition: it ${ddl}`;
  if (isAllowedFunction(name)) return undefined;
  const why = DENIED_FUNCTIONS.get(name);
  return why ? `function \`${name}\` is not allowed: it ${why}` : `function \`${name}\` is not allowed`;
}
