// The two Node modules events-memory.test.ts uses, for the Worker's types (which have no Node types).
declare module "node:v8" {
  export function setFlagsFromString(flags: string): void;
  export function getHeapStatistics(): { used_heap_size: number };
}
declare module "node:vm" {
  export function runInNewContext(code: string): unknown;
}
