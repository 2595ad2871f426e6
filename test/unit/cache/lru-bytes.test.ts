// shared/lru.ts bounded by bytes: what the endpoint cache's isolate-memory tier (4 MiB in all,
// workers/platform/caches.ts `endpointAnswers`) relies on to never hold more than its budget.
import { describe, expect, it } from "vitest";
import { Lru } from "../../../shared/lru.js";

const weighed = (maxBytes: number, capacity = 100) => new Lru<Uint8Array>(capacity, Infinity, { maxBytes, weigh: (v) => v.byteLength });
const bytes = (n: number) => new Uint8Array(n);

describe("an LRU bounded by bytes", () => {
  it("counts each entry's bytes and its key's (two bytes a character)", () => {
    const lru = weighed(1000);
    lru.set("ab", bytes(100));
    lru.set("cd", bytes(50));
    expect(lru.weight).toBe(100 + 4 + 50 + 4);
  });

  it("drops the least recently used entries until the total fits", () => {
    const lru = weighed(300);
    lru.set("a", bytes(100));
    lru.set("b", bytes(100));
    expect(lru.get("a")).toBeDefined(); // a is now the newest
    lru.set("c", bytes(100));
    expect([lru.get("a") !== undefined, lru.get("b") !== undefined, lru.get("c") !== undefined]).toEqual([true, false, true]);
    expect(lru.weight).toBe(204);
  });

  it("never keeps an entry heavier than the whole budget, and keeps what it held", () => {
    const lru = weighed(300);
    lru.set("a", bytes(100));
    lru.set("huge", bytes(400));
    expect(lru.get("huge")).toBeUndefined();
    expect(lru.get("a")).toBeDefined();
    expect(lru.weight).toBe(102);
  });

  it("replacing an entry replaces its weight; deleting frees it", () => {
    const lru = weighed(1000);
    lru.set("a", bytes(100));
    lru.set("a", bytes(10));
    expect(lru.weight).toBe(12);
    expect(lru.delete("a")).toBe(true);
    expect(lru.weight).toBe(0);
    expect(lru.size).toBe(0);
  });

  it("the entry count still bounds it too", () => {
    const lru = weighed(1_000_000, 2);
    for (const k of ["a", "b", "c"]) lru.set(k, bytes(1));
    expect(lru.size).toBe(2);
    expect(lru.get("a")).toBeUndefined();
    expect(lru.weight).toBe(6);
  });

  it("without a byte budget it weighs nothing", () => {
    const lru = new Lru<string>(2);
    lru.set("a", "x");
    expect(lru.weight).toBe(0);
  });
});
