import { systemInterfaces, type InterfaceAddress, type InterfaceSource } from './local-address.js';

/** Interval timers, injectable so tests step time themselves. */
export interface WatchTimers {
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** Referenced: a daemon waiting for its first address has nothing else keeping it alive. */
const INTERVAL_TIMERS: WatchTimers = {
  setInterval(callback, ms) { return setInterval(callback, ms); },
  clearInterval(handle) { clearInterval(handle as ReturnType<typeof setInterval>); },
};

/**
 * How often the machine's addresses are re-read. A VLAN interface created, an address added by
 * DHCP or removed is picked up within this time; one read of a few dozen addresses costs tens of
 * microseconds, so a second keeps the lag short for next to nothing.
 */
export const ADDRESS_POLL_MS = 1000;

/** Called after every read; `changed` says whether the set differs from the previous read. */
export type AddressListener = (addresses: readonly InterfaceAddress[], changed: boolean) => void;

/**
 * The machine's set of addresses, kept current by polling (Node has no netlink API, and
 * os.networkInterfaces() is one getifaddrs call). Owns only the set: what to bind on it is the
 * socket set's business.
 */
export class AddressWatcher {
  private current: readonly InterfaceAddress[] = [];
  private key: string;
  private handle: unknown;
  private readonly listeners = new Set<AddressListener>();

  constructor(
    private readonly source: InterfaceSource = systemInterfaces,
    private readonly intervalMs: number = ADDRESS_POLL_MS,
    private readonly timers: WatchTimers = INTERVAL_TIMERS,
  ) {
    this.current = this.read();
    this.key = setKey(this.current);
  }

  /** The addresses as of the last read. */
  addresses(): readonly InterfaceAddress[] { return this.current; }

  /** Listeners are told after every poll, so a listener with failed binds can retry them. */
  onPoll(listener: AddressListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (this.handle !== undefined) return;
    this.handle = this.timers.setInterval(() => this.poll(), this.intervalMs);
  }

  stop(): void {
    if (this.handle === undefined) return;
    this.timers.clearInterval(this.handle);
    this.handle = undefined;
  }

  /** Reads the addresses now and tells the listeners. */
  poll(): void {
    const next = this.read();
    const key = setKey(next);
    const changed = key !== this.key;
    if (changed) { this.current = next; this.key = key; }
    for (const listener of this.listeners) listener(this.current, changed);
  }

  private read(): readonly InterfaceAddress[] {
    try {
      return this.source();
    } catch {
      // A failed read keeps the last known set: dropping every socket would be worse.
      return this.current;
    }
  }
}

function setKey(addresses: readonly InterfaceAddress[]): string {
  return addresses.map((entry) => `${entry.interfaceName}/${entry.address}/${entry.cidr ?? ''}`).sort().join(' ');
}
