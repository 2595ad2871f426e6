/**
 * @module lru
 * A small least-recently-used map for per-process caches (parse verdicts,
 * canonical SQL). `Map` keeps insertion order, so re-inserting on a hit makes
 * an entry the newest and the first key is always the oldest.
 */
export class Lru<V> {
  readonly #map = new Map<string, V>();

  /** Keys longer than `maxKeyLength` are never kept (a huge key would pin memory). */
  constructor(
    private readonly capacity: number,
    private readonly maxKeyLength = Number.POSITIVE_INFINITY,
  ) {}

  get(key: string): V | undefined {
    const v = this.#map.get(key);
    if (v !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, v);
    }
    return v;
  }

  set(key: string, value: V): void {
    if (key.length > this.maxKeyLength) return;
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.capacity) this.#map.delete(this.#map.keys().next().value as string);
  }

  /** Forgets `key` (a cached value went stale); true when it was there. */
  delete(key: string): boolean {
    return this.#map.delete(key);
  }

  get size(): number {
    return this.#map.size;
  }
}
