/**
 * @module lru
 * A small least-recently-used map for per-process caches (parse verdicts,
 * canonical SQL). `Map` keeps insertion order, so re-inserting on a hit makes
 * an entry the newest and the first key is always the oldest.
 */
export class Lru<V> {
  readonly #map = new Map<string, V>();
  /** Bytes held, when the cache is bounded by bytes (`weigh`). */
  #bytes = 0;

  /**
   * Keys longer than `maxKeyLength` are never kept (a huge key would pin
   * memory). With `weigh`, the entries' weights (the key's two bytes per
   * character counted too) stay within `maxBytes`: the oldest go first, and
   * an entry heavier than the whole budget is never kept.
   */
  constructor(
    private readonly capacity: number,
    private readonly maxKeyLength = Number.POSITIVE_INFINITY,
    private readonly bytes?: { maxBytes: number; weigh: (value: V) => number },
  ) {}

  #weight(key: string, value: V): number {
    return this.bytes ? key.length * 2 + this.bytes.weigh(value) : 0;
  }

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
    this.delete(key);
    const weight = this.#weight(key, value);
    if (this.bytes && weight > this.bytes.maxBytes) return;
    this.#map.set(key, value);
    this.#bytes += weight;
    while (this.#map.size > this.capacity || (this.bytes && this.#bytes > this.bytes.maxBytes)) {
      this.delete(this.#map.keys().next().value as string);
    }
  }

  /** Forgets `key` (a cached value went stale); true when it was there. */
  delete(key: string): boolean {
    const v = this.#map.get(key);
    if (v === undefined) return false;
    this.#bytes -= this.#weight(key, v);
    return this.#map.delete(key);
  }

  /** Bytes held (0 unless bounded by bytes). */
  get weight(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#map.size;
  }
}
