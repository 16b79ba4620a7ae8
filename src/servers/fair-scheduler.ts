/**
 * Fair scheduling of UDP queries between clients. One socket means one kernel queue in arrival
 * order: a client that floods fills it, and everyone else's queries wait behind the flood while
 * camshim answers it. Reading a datagram costs a fraction of answering one, so the way to keep a
 * quiet client's wait short is to read ahead of the flood and answer the flood later:
 *
 * - within one turn of the event loop each client has its first few datagrams answered at once;
 * - a client's datagrams beyond that wait in its own bounded queue (beyond the bound, and beyond
 *   a total byte bound, they are dropped and counted, as a full socket buffer would);
 * - at the end of each turn the queues are served round robin: briefly while the socket keeps
 *   delivering full batches (more is waiting to be read, possibly from someone else), for longer
 *   when it has gone quiet.
 *
 * The end of a turn (a setImmediate) is asked for only when it can matter: when a client reaches
 * its inline share, when a batch's worth of datagrams has been read, or when datagrams wait.
 * Until then the counts run on across turns, which only ever makes the share stricter. A socket
 * answering one datagram per wake-up (a camera VLAN, any moderate rate) so costs no timer object
 * per datagram, which at a few thousand queries a second would be much of what a query allocates.
 *
 * Nothing is lost to a client that keeps a bounded number of queries in flight (every resolver,
 * dnsperf): its queue never outgrows what it has sent, and all of it is answered; only the
 * order across clients changes. Pure scheduling: what "answer" means is the caller's.
 */

export interface FairSchedulerOptions {
  /** Datagrams a client has answered at once per turn (counted since the last end of a turn). */
  readonly inlinePerTurn: number;
  /** Datagrams a client may have waiting. */
  readonly queuePerClient: number;
  /** Memory all waiting datagrams may hold: their bytes plus DATAGRAM_OVERHEAD each. */
  readonly queueBytes: number;
  /** Waiting datagrams answered at the end of a turn that read a full batch (more is waiting in the socket). */
  readonly busyDrain: number;
  /** Time spent answering waiting datagrams at the end of a turn when the socket had gone quiet (ms). */
  readonly idleDrainMs: number;
  /**
   * A turn that read this many datagrams is taken to have left more in the socket (libuv reads 32
   * per wake-up). Reading this many also ends the turn, which bounds the per-client counts.
   */
  readonly fullBatch: number;
}

export const DEFAULT_FAIR_SCHEDULER: FairSchedulerOptions = {
  inlinePerTurn: 4,
  queuePerClient: 1024,
  queueBytes: 8 * 1024 * 1024,
  busyDrain: 2,
  idleDrainMs: 1,
  fullBatch: 32,
};

/**
 * What a waiting datagram costs beyond its bytes (its Buffer and backing store, the sender's
 * address object, the queue slots), counted against `queueBytes` so a flood of tiny datagrams
 * from many addresses is bounded in memory too: 8 MiB holds at most ~16,000 of them.
 */
export const DATAGRAM_OVERHEAD = 512;

export interface FairSchedulerDeps {
  /** Runs `callback` after the current turn's I/O (setImmediate). */
  readonly afterTurn: (callback: () => void) => void;
  /** Milliseconds from any monotonic origin. */
  readonly now: () => number;
}

/** Turns of the real event loop, timed by the monotonic clock. */
export const EVENT_LOOP_TURNS: FairSchedulerDeps = { afterTurn: setImmediate, now: () => performance.now() };

export interface FairSchedulerStats {
  /** Datagrams answered from a queue rather than at once. */
  deferred: number;
  /** Datagrams dropped because their client's queue, or all queues together, were full. */
  dropped: number;
}

interface ClientQueue<From> {
  readonly client: string;
  readonly datagrams: Uint8Array[];
  readonly senders: From[];
  head: number;
}

/** `From` is what the caller needs to answer a datagram besides its bytes (the sender's address and port). */
export class FairScheduler<From> {
  /** Per client: datagrams since the last end of a turn. */
  private readonly turnCounts = new Map<string, number>();
  /** Datagrams since the last end of a turn. */
  private turnReceived = 0;
  private readonly queues = new Map<string, ClientQueue<From>>();
  /** Clients with something waiting, in round-robin order. */
  private readonly ring: ClientQueue<From>[] = [];
  private ringAt = 0;
  private queuedBytes = 0;
  private turnScheduled = false;
  private readonly endTurn = (): void => this.finishTurn();

  constructor(
    private readonly answer: (datagram: Uint8Array, from: From) => void,
    private readonly options: FairSchedulerOptions = DEFAULT_FAIR_SCHEDULER,
    private readonly deps: FairSchedulerDeps = EVENT_LOOP_TURNS,
    /** Where it counts (several sockets' schedulers may share one). */
    readonly stats: FairSchedulerStats = { deferred: 0, dropped: 0 },
  ) {}

  /** Datagrams waiting right now. */
  get waiting(): number {
    let count = 0;
    for (const queue of this.ring) count += queue.datagrams.length - queue.head;
    return count;
  }

  /** Hands over one datagram from `client` (its source address): answered now, queued, or dropped. */
  submit(client: string, datagram: Uint8Array, from: From): 'now' | 'queued' | 'dropped' {
    const received = ++this.turnReceived;
    const count = (this.turnCounts.get(client) ?? 0) + 1;
    this.turnCounts.set(client, count);
    // A client that waits has the end of the turn asked for already (it serves the queues).
    if (!this.turnScheduled && (count >= this.options.inlinePerTurn || received >= this.options.fullBatch)) {
      this.turnScheduled = true;
      this.deps.afterTurn(this.endTurn);
    }
    let queue = this.queues.get(client);
    // Once a client waits, its later datagrams wait too: its answers stay in order.
    if (count <= this.options.inlinePerTurn && queue === undefined) {
      this.answer(datagram, from);
      return 'now';
    }
    if ((queue !== undefined && queue.datagrams.length - queue.head >= this.options.queuePerClient) || this.queuedBytes + datagram.length + DATAGRAM_OVERHEAD > this.options.queueBytes) {
      this.stats.dropped++;
      return 'dropped';
    }
    if (queue === undefined) {
      queue = { client, datagrams: [], senders: [], head: 0 };
      this.queues.set(client, queue);
      this.ring.push(queue);
    }
    queue.datagrams.push(datagram);
    queue.senders.push(from);
    this.queuedBytes += datagram.length + DATAGRAM_OVERHEAD;
    return 'queued';
  }

  /** Forgets everything waiting (the socket is closing: there is nobody to answer through). */
  discard(): void {
    this.queues.clear();
    this.ring.length = 0;
    this.queuedBytes = 0;
  }

  private finishTurn(): void {
    const busy = this.turnReceived >= this.options.fullBatch;
    this.turnReceived = 0;
    this.turnCounts.clear();
    if (busy) this.drain(this.options.busyDrain, Number.POSITIVE_INFINITY);
    else this.drain(Number.POSITIVE_INFINITY, this.deps.now() + this.options.idleDrainMs);
    this.turnScheduled = this.ring.length > 0;
    // Still waiting: serve more after the next turn's reads.
    if (this.turnScheduled) this.deps.afterTurn(this.endTurn);
  }

  /** Answers waiting datagrams round robin, one per client per pass, until `items` are done or `deadline` passes. */
  private drain(items: number, deadline: number): void {
    let done = 0;
    while (this.ring.length > 0 && done < items) {
      if (this.ringAt >= this.ring.length) this.ringAt = 0;
      const queue = this.ring[this.ringAt]!;
      const datagram = queue.datagrams[queue.head]!;
      const from = queue.senders[queue.head]!;
      this.queuedBytes -= datagram.length + DATAGRAM_OVERHEAD;
      queue.head++;
      if (queue.head === queue.datagrams.length) {
        this.queues.delete(queue.client);
        this.ring.splice(this.ringAt, 1);
      } else {
        if (queue.head >= 64 && queue.head * 2 >= queue.datagrams.length) {
          // Drop the answered front now and then, so a long-lived queue does not grow without end.
          queue.datagrams.splice(0, queue.head);
          queue.senders.splice(0, queue.head);
          queue.head = 0;
        }
        this.ringAt++;
      }
      done++;
      this.stats.deferred++;
      this.answer(datagram, from);
      if ((done & 7) === 0 && this.deps.now() >= deadline) return;
    }
  }
}
