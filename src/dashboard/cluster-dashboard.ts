import cluster from 'node:cluster';
import { CamshimError } from '../errors.js';
import { fromWire, receive, type StatusReply, type StatusRequest } from './cluster-messages.js';
import type { ListStatusBody, NtpStatusBody, StatusReader, UpstreamRow, UpstreamStatusBody } from './daemon-status.js';
import { DASHBOARD_LIMITS, type DashboardLimits } from './limits.js';
import { LiveSummary } from './live-summary.js';

/** The primary's end of the cluster IPC channel (node:cluster in the daemon). */
export interface PrimaryChannel {
  /** Every message from any worker. */
  onMessage(listener: (message: unknown) => void): void;
  /** Sends to every worker that is connected; how many it was sent to. */
  broadcast(message: StatusRequest): number;
}

export interface ClusterDashboardOptions {
  readonly workers: number;
  readonly limits?: DashboardLimits;
  /** How long a status read waits for the workers' replies (ms). */
  readonly statusTimeoutMs?: number;
  /** A status read is shared by the reads within this long (ms): the page reads three endpoints at once. */
  readonly statusReuseMs?: number;
  readonly now?: () => number;
}

interface Gathered { readonly replies: readonly StatusReply[] }

/**
 * The `--workers` primary's dashboard: the one LiveSummary (same caps as a single daemon's), fed
 * by the workers' decision batches, and the status endpoints gathered from the workers when the
 * page reads them. NTP is whichever worker serves it (slot 0); lists are the lowest slot's (each
 * worker loads the same config), with every worker's load time and errors; upstream counters are
 * summed and each upstream's state is each worker's own view.
 */
export class ClusterDashboard {
  readonly live: LiveSummary;
  private droppedDecisions = 0;
  private malformedMessages = 0;
  /** The latest MAC and name the workers sent per client; bounded like the summary's clients. */
  private readonly who = new Map<string, { mac?: string; name?: string }>();
  private readonly whoCap: number;
  private nextId = 1;
  private readonly waiting = new Map<number, { replies: StatusReply[]; expected: number; done: () => void }>();
  private shared: { atMs: number; promise: Promise<Gathered> } | undefined;
  private readonly timeoutMs: number;
  private readonly reuseMs: number;
  private readonly now: () => number;

  constructor(private readonly channel: PrimaryChannel, private readonly options: ClusterDashboardOptions) {
    const limits = options.limits ?? DASHBOARD_LIMITS;
    this.live = new LiveSummary(limits);
    this.whoCap = limits.summary.clients;
    this.timeoutMs = options.statusTimeoutMs ?? 1000;
    this.reuseMs = options.statusReuseMs ?? 500;
    this.now = options.now ?? Date.now;
    channel.onMessage((message) => { this.receive(message); });
  }

  private receive(message: unknown): void {
    const received = receive(message);
    switch (received.kind) {
      case 'batch': {
        const batch = received.message;
        this.droppedDecisions += batch.dropped;
        for (const [client, mac, host] of batch.who) {
          this.who.delete(client);
          this.who.set(client, { ...(mac === null ? {} : { mac }), ...(host === null ? {} : { name: host }) });
          if (this.who.size > this.whoCap) this.who.delete(this.who.keys().next().value!);
        }
        for (const decision of batch.decisions) this.live.addDecision(fromWire(decision));
        return;
      }
      case 'status': {
        const pending = this.waiting.get(received.message.id);
        if (pending === undefined) return;
        pending.replies.push(received.message);
        if (pending.replies.length >= pending.expected) pending.done();
        return;
      }
      case 'malformed':
        this.malformedMessages++;
        return;
      default:
    }
  }

  /** Asks every worker for its status; resolves with the replies that came within the timeout. */
  private gather(): Promise<Gathered> {
    const nowMs = this.now();
    if (this.shared !== undefined && nowMs - this.shared.atMs < this.reuseMs) return this.shared.promise;
    const id = this.nextId++;
    const promise = new Promise<Gathered>((resolve) => {
      const replies: StatusReply[] = [];
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        this.waiting.delete(id);
        resolve({ replies: replies.sort((a, b) => a.slot - b.slot) });
      };
      this.waiting.set(id, { replies, expected: Number.POSITIVE_INFINITY, done });
      const expected = this.channel.broadcast({ type: 'camshim:dashboard-status-request', id });
      if (expected === 0) { done(); return; }
      this.waiting.get(id)!.expected = expected;
      timer = setTimeout(done, this.timeoutMs);
    });
    this.shared = { atMs: nowMs, promise };
    return promise;
  }

  private async replies(): Promise<readonly StatusReply[]> {
    const { replies } = await this.gather();
    if (replies.length === 0) throw new CamshimError('DASHBOARD_WORKERS_SILENT', `no worker answered within ${this.timeoutMs} ms; ask again once they serve`);
    return replies;
  }

  reader(): StatusReader {
    return {
      ntp: async () => ntpOf(await this.replies()),
      lists: async () => listsOf(await this.replies()),
      upstream: async () => upstreamOf(await this.replies()),
      identify: (address) => this.who.get(address),
      workers: () => ({ count: this.options.workers, droppedDecisions: this.droppedDecisions, malformedMessages: this.malformedMessages }),
    };
  }
}

/** The worker that serves NTP (slot 0 in a cluster), tagged with its slot. */
function ntpOf(replies: readonly StatusReply[]): NtpStatusBody & { worker?: number } {
  const serving = replies.find((reply) => reply.ntp.enabled);
  return serving === undefined ? { enabled: false } : { ...serving.ntp, worker: serving.slot };
}

/** The lowest slot's lists; every worker's load time and errors (a worker may be mid-reload). */
function listsOf(replies: readonly StatusReply[]): ListStatusBody & { workers: readonly { worker: number; loadedAt: string; errors: number }[] } {
  const first = replies[0]!.lists;
  return {
    ...first,
    errors: [...new Set(replies.flatMap((reply) => reply.lists.errors))],
    workers: replies.map((reply) => ({ worker: reply.slot, loadedAt: reply.lists.loadedAt, errors: reply.lists.errors.length })),
  };
}

type ClusterUpstreamRow = UpstreamRow & { readonly workers: readonly { worker: number; state: string }[] };

/**
 * Counters summed over the workers (each has its own forwarder and cache). Each worker judges an
 * upstream's health on its own; the row's state is theirs when they agree, else `mixed`.
 */
function upstreamOf(replies: readonly StatusReply[]): UpstreamStatusBody & { upstreams: readonly ClusterUpstreamRow[] } {
  const rows = new Map<string, { row: Omit<ClusterUpstreamRow, 'state'>; states: { worker: number; state: string }[] }>();
  for (const reply of replies) {
    for (const row of reply.upstream.upstreams) {
      const seen = rows.get(row.upstream);
      if (seen === undefined) {
        rows.set(row.upstream, { row: { upstream: row.upstream, queries: row.queries, answers: row.answers, failures: row.failures, timeouts: row.timeouts, downs: row.downs, workers: [] }, states: [{ worker: reply.slot, state: row.state }] });
        continue;
      }
      seen.row = {
        ...seen.row, queries: seen.row.queries + row.queries, answers: seen.row.answers + row.answers, failures: seen.row.failures + row.failures,
        timeouts: seen.row.timeouts + row.timeouts, downs: seen.row.downs + row.downs,
      };
      seen.states.push({ worker: reply.slot, state: row.state });
    }
  }
  const sum = (field: 'forwarded' | 'servfail' | 'cacheHits' | 'cacheEntries'): number => replies.reduce((total, reply) => total + reply.upstream[field], 0);
  return {
    forwarded: sum('forwarded'), servfail: sum('servfail'), cacheHits: sum('cacheHits'), cacheEntries: sum('cacheEntries'),
    upstreams: [...rows.values()].map(({ row, states }) => ({
      ...row, state: states.every((s) => s.state === states[0]!.state) ? states[0]!.state : 'mixed', workers: states,
    })),
  };
}

/** The primary's end of node:cluster's IPC channels. */
export function clusterPrimaryChannel(): PrimaryChannel {
  return {
    onMessage: (listener) => { cluster.on('message', (_worker, message: unknown) => { listener(message); }); },
    broadcast: (message) => {
      let sent = 0;
      for (const worker of Object.values(cluster.workers ?? {})) {
        if (worker === undefined || !worker.isConnected()) continue;
        try {
          worker.send(message);
          sent++;
        } catch {
          // A worker that is going away: its reply would not come anyway.
        }
      }
      return sent;
    },
  };
}
