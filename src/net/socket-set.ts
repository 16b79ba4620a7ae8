import type { Logger } from 'pino';
import type { InterfaceAddress } from './local-address.js';
import { listenTargets, MAX_LISTEN_ADDRESSES, type ListenTarget } from './listen-targets.js';

/** Opens and closes one service's sockets; the set decides which addresses and when. */
export interface SocketOpener<H> {
  /**
   * The service, 'DNS' or 'NTP': log lines carry it as `server` (the `service` field of every
   * line is camshim's own name, which `camshim report` and journal filters select on).
   */
  readonly service: string;
  open(target: ListenTarget, port: number): Promise<H>;
  portOf(handle: H): number;
  close(handle: H): Promise<void>;
  /** Whether a bind error only means the address cannot be used yet (an IPv6 address still in DAD, say). */
  unavailable(error: unknown): boolean;
  /** Whether a bind error means another socket holds the port. */
  inUse(error: unknown): boolean;
}

/** Starts tried when a configured port of 0 turns out to be taken for a later socket (see start). */
const ANY_PORT_ATTEMPTS = 5;

interface Bound<H> { readonly target: ListenTarget; readonly handle: H }

function endpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * One socket per address a listen list means (dnsmasq's bind-dynamic): a socket bound to one
 * address replies from that address, which a wildcard socket cannot promise without
 * IP_PKTINFO. Each update binds the addresses that appeared, closes those that went, and
 * retries the binds that failed. Updates run one at a time, each on the newest address set.
 */
export class ListenSocketSet<H> {
  private readonly bound = new Map<string, Bound<H>>();
  /** Address -> the failure already logged for it, so a bind retried every poll is logged once. */
  private readonly failures = new Map<string, string>();
  private missingKey = '';
  private skipped = 0;
  private latest: readonly InterfaceAddress[] = [];
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  private currentPort: number;

  constructor(
    private readonly listen: readonly string[],
    private readonly configuredPort: number,
    private readonly opener: SocketOpener<H>,
    private readonly logger: Logger,
    private readonly cap: number = MAX_LISTEN_ADDRESSES,
  ) {
    this.currentPort = configuredPort;
  }

  /** The port every socket uses; with a configured 0, the one the first socket was given. */
  get port(): number { return this.currentPort; }

  /** Takes a port picked elsewhere (a wildcard TCP listener bound first with port 0). */
  adoptPort(port: number): void { if (this.currentPort === 0) this.currentPort = port; }

  handles(): H[] { return [...this.bound.values()].map((entry) => entry.handle); }

  /** The addresses with a socket now (as bound: link-local ones with their interface). */
  addresses(): string[] { return [...this.bound.keys()]; }

  /**
   * First binding at start-up: a bind error other than "address not available" (port in use,
   * permission denied) is thrown after closing what was bound, so a daemon that cannot serve
   * its port says so and exits instead of running without it.
   *
   * A configured port of 0 (test runs only) is whichever port the kernel gives the first socket,
   * and every later socket (TCP beside UDP, the next address) binds that same number, which
   * another socket on the machine may hold: then what was bound is closed and the kernel asked
   * again, a few times.
   */
  async start(addresses: readonly InterfaceAddress[]): Promise<void> {
    this.latest = addresses;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.apply(true);
        return;
      } catch (error) {
        await this.closeBound();
        if (this.configuredPort !== 0 || !this.opener.inUse(error) || attempt >= ANY_PORT_ATTEMPTS) {
          this.closed = true;
          throw error;
        }
        this.currentPort = 0;
      }
    }
  }

  /** After every address poll; cheap when nothing changed and nothing waits for a retry. */
  update(addresses: readonly InterfaceAddress[], changed: boolean): Promise<void> {
    if (this.closed || (!changed && this.failures.size === 0)) return this.queue;
    this.latest = addresses;
    this.queue = this.queue.then(() => this.apply(false)).catch((error: unknown) => {
      this.logger.error({ err: error, server: this.opener.service }, `${this.opener.service}: updating listen sockets failed`);
    });
    return this.queue;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    await this.closeBound();
  }

  private async closeBound(): Promise<void> {
    const all = [...this.bound.values()];
    this.bound.clear();
    await Promise.all(all.map((entry) => this.opener.close(entry.handle).catch(() => {})));
  }

  private async apply(strict: boolean): Promise<void> {
    if (this.closed && !strict) return;
    const { service } = this.opener;
    const plan = listenTargets(this.listen, this.latest, this.cap);
    const missingKey = plan.missing.join(' ');
    if (missingKey !== this.missingKey) {
      this.missingKey = missingKey;
      if (plan.missing.length > 0) {
        this.logger.warn({ event: 'listen-missing', server: service, addresses: plan.missing },
          `${service}: listen address ${plan.missing.join(', ')} is not on this machine yet; it is served as soon as it appears`);
      }
    }
    if (plan.skipped !== this.skipped) {
      this.skipped = plan.skipped;
      if (plan.skipped > 0) {
        this.logger.warn({ event: 'listen-cap', server: service, cap: this.cap, skipped: plan.skipped },
          `${service}: this machine has more addresses than the ${this.cap} served; ${plan.skipped} get no socket (name the addresses to serve with --listen)`);
      }
    }
    const wanted = new Map(plan.targets.map((target) => [target.address, target]));
    for (const [address, entry] of [...this.bound]) {
      if (wanted.has(address)) continue;
      this.bound.delete(address);
      await this.opener.close(entry.handle).catch(() => {});
      this.logger.info({ event: 'unlisten', server: service, address, port: this.currentPort }, `${service}: stopped serving ${endpoint(address, this.currentPort)}: the address is gone`);
    }
    for (const address of [...this.failures.keys()]) if (!wanted.has(address)) this.failures.delete(address);
    for (const target of plan.targets) {
      if (this.bound.has(target.address)) continue;
      let handle: H;
      try {
        handle = await this.opener.open(target, this.currentPort);
      } catch (error) {
        if (strict && !this.opener.unavailable(error)) throw error;
        const message = (error as Error).message;
        if (this.failures.get(target.address) !== message) {
          this.failures.set(target.address, message);
          this.logger.warn({ event: 'listen-failed', server: service, address: target.address, err: error }, `${message}; retrying while the address exists`);
        }
        continue;
      }
      // A close() that ran while this bind was under way: nobody will close this socket later.
      if (this.closed && !strict) { await this.opener.close(handle).catch(() => {}); return; }
      this.failures.delete(target.address);
      if (this.currentPort === 0) this.currentPort = this.opener.portOf(handle);
      this.bound.set(target.address, { target, handle });
      this.logger.info({ event: 'listen', server: service, address: target.address, port: this.currentPort }, `${service}: serving ${endpoint(target.address, this.currentPort)}`);
    }
  }
}
