/**
 * A Map with a hard size bound: when full, the oldest entry is evicted (insertion order).
 * Keys must come from the socket (client addresses), never from packet contents.
 */
export class BoundedCache<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly maxEntries: number) {}

  get(key: K): V | undefined { return this.map.get(key); }

  set(key: K, value: V): void {
    if (this.map.size >= this.maxEntries && !this.map.has(key)) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
    this.map.set(key, value);
  }

  get size(): number { return this.map.size; }
  clear(): void { this.map.clear(); }
}
