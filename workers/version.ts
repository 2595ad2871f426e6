/** Reported by /v0/health; bumped with package.json. */
export const TERN_VERSION = "0.1.0";
