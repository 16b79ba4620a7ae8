import type { ClientNames } from './client-names.js';
import type { LeaseEntry } from './lease-entry.js';
import type { NeighbourEntry } from './neighbours.js';

/** What the directory knows about one client address. */
export interface ClientInfo {
  readonly mac?: string;
  readonly name?: string;
}

export interface ClientTable {
  readonly byIp: ReadonlyMap<string, ClientInfo>;
  /** Addresses left out because the table reached its bound. */
  readonly dropped: number;
}

export const DEFAULT_MAX_CLIENTS = 65_536;

interface Candidates {
  active?: LeaseEntry;
  ended?: LeaseEntry;
  neighbour?: NeighbourEntry;
}

/**
 * Merges the sources into one table keyed by address. Pure: the directory calls it on the
 * side and swaps the result in whole.
 *
 * Per address, leases are split into current ones (no end, or ending after `nowMs`) and
 * ended ones; of each kind, the one ending last counts. An ended lease still names the
 * camera it was given to, but ranks below anything current.
 *
 * MAC, first known of: a current lease's hardware address; the neighbour table; a current
 * lease's DUID; an ended lease (hardware, then DUID).
 * Name, first known of: `clients:` by that MAC; `clients:` by the address; the current
 * lease's hostname; the ended lease's hostname if that lease is for the same MAC (or names
 * no MAC) - an address currently answered by another device does not inherit the old name.
 *
 * Bounded: at most `maxEntries` addresses, filled in priority order (`clients:` addresses,
 * current leases, neighbours, ended leases); the rest are counted in `dropped`.
 */
export function buildClientTable(input: {
  readonly leases: ReadonlyArray<readonly LeaseEntry[]>;
  readonly neighbours: readonly NeighbourEntry[];
  readonly names: ClientNames;
  readonly nowMs: number;
  readonly maxEntries?: number;
}): ClientTable {
  const maxEntries = input.maxEntries ?? DEFAULT_MAX_CLIENTS;
  const candidates = new Map<string, Candidates>();
  const slot = (ip: string): Candidates => {
    let c = candidates.get(ip);
    if (c === undefined) candidates.set(ip, (c = {}));
    return c;
  };
  const endsAt = (lease: LeaseEntry): number => lease.expires ?? Number.POSITIVE_INFINITY;

  for (const file of input.leases) {
    for (const lease of file) {
      const c = slot(lease.ip);
      if (endsAt(lease) > input.nowMs) {
        if (c.active === undefined || endsAt(lease) > endsAt(c.active)) c.active = lease;
      } else if (c.ended === undefined || endsAt(lease) > endsAt(c.ended)) {
        c.ended = lease;
      }
    }
  }
  for (const n of input.neighbours) slot(n.ip).neighbour = n;

  // Priority order for the bound.
  const order: string[] = [...input.names.byIp.keys()];
  const tiers: Array<(c: Candidates) => boolean> = [
    (c) => c.active !== undefined,
    (c) => c.active === undefined && c.neighbour !== undefined,
    (c) => c.active === undefined && c.neighbour === undefined && c.ended !== undefined,
  ];
  for (const tier of tiers) for (const [ip, c] of candidates) if (tier(c)) order.push(ip);

  const byIp = new Map<string, ClientInfo>();
  let dropped = 0;
  for (const ip of order) {
    if (byIp.has(ip)) continue;
    if (byIp.size >= maxEntries) {
      dropped++;
      continue;
    }
    const info = resolve(ip, candidates.get(ip) ?? {}, input.names);
    if (info !== undefined) byIp.set(ip, info);
  }
  return { byIp, dropped };
}

function resolve(ip: string, c: Candidates, names: ClientNames): ClientInfo | undefined {
  const { active, ended, neighbour } = c;
  const mac =
    (active?.macFrom === 'hardware' ? active.mac : undefined) ??
    neighbour?.mac ??
    active?.mac ??
    (ended?.macFrom === 'hardware' ? ended.mac : undefined) ??
    ended?.mac;
  const endedName = ended !== undefined && (ended.mac === undefined || ended.mac === mac) ? ended.name : undefined;
  const name = (mac === undefined ? undefined : names.byMac.get(mac)) ?? names.byIp.get(ip) ?? active?.name ?? endedName;
  if (mac === undefined && name === undefined) return undefined;
  const info: { mac?: string; name?: string } = {};
  if (mac !== undefined) info.mac = mac;
  if (name !== undefined) info.name = name;
  return Object.freeze(info);
}
