/**
 * The NTP clients seen so far, for "new client" log lines and stats. Bounded:
 * least-recently-seen entries are evicted (a returning evicted client is
 * logged as new again, which is harmless). Keys are socket addresses, never
 * packet contents.
 */

export interface ClientRecord {
  address: string;
  group: string;
  version: number;
  firstSeenMs: number;
  lastSeenMs: number;
  requests: number;
}

export class ClientTable {
  readonly #max: number;
  readonly #nowMs: () => number;
  readonly #table = new Map<string, ClientRecord>();

  constructor(maxEntries: number, nowMs: () => number) {
    if (!(Number.isInteger(maxEntries) && maxEntries >= 1)) throw new RangeError(`maxEntries must be an integer >= 1 (got ${maxEntries})`);
    this.#max = maxEntries;
    this.#nowMs = nowMs;
  }

  /** Record a request; `isNew` is true the first time an address is seen (since eviction). */
  observe(address: string, group: string, version: number): { isNew: boolean; record: ClientRecord } {
    const now = this.#nowMs();
    const existing = this.#table.get(address);
    if (existing !== undefined) {
      this.#table.delete(address);
      existing.lastSeenMs = now;
      existing.requests++;
      existing.version = version;
      existing.group = group;
      this.#table.set(address, existing);
      return { isNew: false, record: existing };
    }
    if (this.#table.size >= this.#max) {
      const oldest = this.#table.keys().next();
      if (!oldest.done) this.#table.delete(oldest.value);
    }
    const record: ClientRecord = { address, group, version, firstSeenMs: now, lastSeenMs: now, requests: 1 };
    this.#table.set(address, record);
    return { isNew: true, record };
  }

  get size(): number {
    return this.#table.size;
  }

  /** Snapshot, most recently seen last. */
  list(): ClientRecord[] {
    return [...this.#table.values()].map((r) => ({ ...r }));
  }
}
