import type { StoredReply } from '../wire/relay.js';

export interface CacheLimits {
  readonly maxEntries: number;
  readonly maxBytes: number;
}

interface Entry {
  readonly stored: StoredReply;
  readonly name: string;
  readonly storedAt: number;
  readonly expiresAt: number;
  readonly bytes: number;
}

/** Bookkeeping per entry on top of the reply bytes: key, arrays, Map slot. An estimate, on purpose high. */
const ENTRY_OVERHEAD = 160;

/**
 * Upstream replies by question, bounded by entry count and by bytes; least recently used goes
 * first. Time comes from `now` (ms), so tests drive expiry. Keys are canonical questions (plus
 * DO/CD), so memory is bounded by the limits, not by what clients ask.
 */
export class AnswerCache {
  private readonly map = new Map<string, Entry>();
  private totalBytes = 0;

  constructor(private limits: CacheLimits, private readonly now: () => number) {}

  /** A live entry and its age in whole seconds; an expired one is dropped. */
  get(key: string): { stored: StoredReply; ageSeconds: number } | undefined {
    const entry = this.map.get(key);
    if (entry === undefined) return undefined;
    const now = this.now();
    if (now >= entry.expiresAt) { this.remove(key, entry); return undefined; }
    // Refresh recency: Map order is insertion order.
    this.map.delete(key);
    this.map.set(key, entry);
    return { stored: entry.stored, ageSeconds: Math.floor((now - entry.storedAt) / 1000) };
  }

  set(key: string, name: string, stored: StoredReply, ttlSeconds: number): void {
    if (ttlSeconds <= 0 || this.limits.maxEntries === 0) return;
    const bytes = ENTRY_OVERHEAD + key.length * 2 + name.length * 2 + stored.body.length + stored.ttls.byteLength * 2;
    if (bytes > this.limits.maxBytes) return;
    const old = this.map.get(key);
    if (old !== undefined) this.remove(key, old);
    const now = this.now();
    this.map.set(key, { stored, name, storedAt: now, expiresAt: now + ttlSeconds * 1000, bytes });
    this.totalBytes += bytes;
    this.evict();
  }

  /** Drops every entry whose name `affected` says; returns how many went. */
  deleteWhere(affected: (name: string) => boolean): number {
    let count = 0;
    for (const [key, entry] of this.map) {
      if (affected(entry.name)) { this.remove(key, entry); count++; }
    }
    return count;
  }

  resize(limits: CacheLimits): void {
    this.limits = limits;
    this.evict();
  }

  clear(): void {
    this.map.clear();
    this.totalBytes = 0;
  }

  get size(): number { return this.map.size; }
  get bytes(): number { return this.totalBytes; }

  private evict(): void {
    while (this.map.size > this.limits.maxEntries || this.totalBytes > this.limits.maxBytes) {
      const oldest = this.map.entries().next();
      if (oldest.done) break;
      this.remove(oldest.value[0], oldest.value[1]);
    }
  }

  private remove(key: string, entry: Entry): void {
    this.map.delete(key);
    this.totalBytes -= entry.bytes;
  }
}
