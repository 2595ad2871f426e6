export { checkRead, isAllowedFunction, type ReadPolicy, type GuardVerdict, type GuardCode } from "./check.js";
export { checkFormattedNames, type NameCheck } from "./identifiers.js";
export { expectedTables } from "./expected-tables.js";
export { ALLOWED_TABLE_FUNCTIONS, DENIED_FUNCTIONS, DENIED_CATEGORIES } from "./denied-functions.js";
export { sameButLiterals } from "./same-shape.js";
