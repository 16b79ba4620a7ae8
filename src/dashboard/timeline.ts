import type { QueryEventName } from '../log/log-schema.js';
import type { TimelineLimits } from './limits.js';

/** A name as the timeline shows it on hover; shared by every point that tried it (counted, so it goes with the last one). */
interface TimelineName {
  readonly event: QueryEventName;
  readonly name: string;
  list: string | null;
  rule: string | null;
  points: number;
}

/** One client's latest attempts, oldest overwritten first. */
class ClientRing {
  readonly times: Float64Array;
  readonly names: (TimelineName | undefined)[];
  /** Index of the oldest point. */
  start = 0;
  size = 0;

  constructor(capacity: number) {
    this.times = new Float64Array(capacity);
    this.names = new Array<TimelineName | undefined>(capacity);
  }

  /** Adds a point; returns the name of the point it overwrote, if it was full. */
  push(timeMs: number, name: TimelineName): TimelineName | undefined {
    const capacity = this.times.length;
    const at = (this.start + this.size) % capacity;
    const dropped = this.size === capacity ? this.names[at] : undefined;
    this.times[at] = timeMs;
    this.names[at] = name;
    if (this.size === capacity) this.start = (this.start + 1) % capacity;
    else this.size++;
    return dropped;
  }
}

export interface TimelineSnapshot {
  /** ms since the epoch: the earliest point asked for (undefined: all kept). */
  readonly fromMs: number | undefined;
  /** Names referred to by the points, by index. */
  readonly names: readonly { readonly event: QueryEventName; readonly name: string; readonly list: string | null; readonly rule: string | null }[];
  /** Clients, most recently active first; points as [ms since the epoch, index into names], oldest first. */
  readonly clients: readonly { readonly client: string; readonly points: readonly (readonly [number, number])[] }[];
}

/**
 * Every logged attempt per client, as a point in time with the name it tried: what draws the
 * dashboard's comb (a camera calling home every three minutes shows as evenly spaced ticks).
 * Bounded: a fixed number of points per client (the latest) and of clients (the most recently
 * active); names are shared between points and dropped with the last point that refers to them.
 */
export class Timeline {
  private readonly clients = new Map<string, ClientRing>();
  private readonly names = new Map<string, TimelineName>();

  constructor(private readonly limits: TimelineLimits) {}

  add(event: QueryEventName, client: string, name: string, list: string | null, rule: string | null, timeMs: number): void {
    const key = `${event} ${name}`;
    let entry = this.names.get(key);
    if (entry === undefined) {
      entry = { event, name, list, rule, points: 0 };
      this.names.set(key, entry);
    } else if (list !== null) {
      // The latest attempt names the rule that answers today (as the report's summary does).
      entry.list = list;
      entry.rule = rule;
    }
    let ring = this.clients.get(client);
    if (ring === undefined) {
      ring = new ClientRing(this.limits.pointsPerClient);
      this.clients.set(client, ring);
      if (this.clients.size > this.limits.clients) this.dropOldestClient();
    } else {
      // Most recently active last: the first in the map's order is the one to drop.
      this.clients.delete(client);
      this.clients.set(client, ring);
    }
    entry.points++;
    const dropped = ring.push(timeMs, entry);
    if (dropped !== undefined) this.release(dropped);
  }

  /** Clients and points kept (for tests and the API's totals). */
  get size(): { readonly clients: number; readonly points: number; readonly names: number } {
    let points = 0;
    for (const ring of this.clients.values()) points += ring.size;
    return { clients: this.clients.size, points, names: this.names.size };
  }

  snapshot(fromMs: number | undefined): TimelineSnapshot {
    const index = new Map<TimelineName, number>();
    const names: TimelineSnapshot['names'][number][] = [];
    const clients: { client: string; points: (readonly [number, number])[] }[] = [];
    for (const [client, ring] of this.clients) {
      const points: (readonly [number, number])[] = [];
      for (let i = 0; i < ring.size; i++) {
        const at = (ring.start + i) % ring.times.length;
        const timeMs = ring.times[at]!;
        const name = ring.names[at]!;
        if (fromMs !== undefined && timeMs < fromMs) continue;
        let id = index.get(name);
        if (id === undefined) {
          id = names.length;
          index.set(name, id);
          names.push({ event: name.event, name: name.name, list: name.list, rule: name.rule });
        }
        points.push([timeMs, id]);
      }
      if (points.length > 0) clients.push({ client, points });
    }
    return { fromMs, names, clients: clients.reverse() };
  }

  private dropOldestClient(): void {
    const oldest = this.clients.entries().next();
    if (oldest.done === true) return;
    const [client, ring] = oldest.value;
    this.clients.delete(client);
    for (let i = 0; i < ring.size; i++) this.release(ring.names[(ring.start + i) % ring.times.length]!);
  }

  private release(name: TimelineName): void {
    if (--name.points === 0) this.names.delete(`${name.event} ${name.name}`);
  }
}
