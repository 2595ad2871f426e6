/** The CLI's version, `tern --version`; the same as package.json's (a test keeps them equal). */
export const VERSION = "0.1.0";
