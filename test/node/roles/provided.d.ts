// What the global setup (test/setup/global-clickhouse.ts) provides, for role
// tests: they are type-checked with the Worker's types (workers/tsconfig.json),
// which do not include the setup file itself.
declare module "vitest" {
  export interface ProvidedContext {
    clickhouseUrl: string;
    clickhouseUser: string;
    clickhousePassword: string;
    localCredentials: string;
  }
}

export {};
