import type { LoggedQuery } from '../log/query-events.js';
import type { QueryLog } from '../log/query-log.js';
import {
  BATCH_INTERVAL_MS, MAX_BATCH_DECISIONS, receive, toWire,
  type DecisionBatch, type StatusReply, type WireWho,
} from './cluster-messages.js';
import type { StatusReader } from './daemon-status.js';
import { DecisionResolver } from './decision.js';
import { tapQueryLog } from './tap.js';

/** The worker's end of the cluster IPC channel (process.send and process.on('message') in a real worker). */
export interface WorkerChannel {
  /** Queues a message; `done` is called once it is written to the channel (or could not be). */
  send(message: DecisionBatch | StatusReply, done: (error: Error | null) => void): void;
  onMessage(listener: (message: unknown) => void): void;
}

/** This process's IPC channel to the primary, or undefined when it has none. */
export function processChannel(): WorkerChannel | undefined {
  if (process.send === undefined) return undefined;
  return {
    send: (message, done) => {
      try {
        process.send!(message, undefined, undefined, (error: Error | null) => { done(error); });
      } catch (error) {
        // A closed channel throws (the primary is stopping): the batch is lost, and counted.
        done(error as Error);
      }
    },
    onMessage: (listener) => { process.on('message', listener); },
  };
}

export interface WorkerFeedOptions {
  readonly intervalMs?: number;
  readonly maxDecisions?: number;
  readonly setTimer?: (run: () => void, ms: number) => { unref?(): unknown };
}

/**
 * A `--workers` worker's part of the dashboard: it taps the sinkhole log as the single-process
 * daemon does, but instead of adding the decisions up it sends them to the primary (which keeps
 * the one summary) in batches: at most one batch per interval, at most `maxDecisions` in one.
 * Past the cap, or while the previous batch is still waiting in the channel, decisions are
 * dropped and counted (the count goes with the next batch): the query path never waits on IPC,
 * and the worker never holds more than one batch.
 */
export class WorkerFeed {
  private readonly resolver = new DecisionResolver();
  private readonly intervalMs: number;
  private readonly maxDecisions: number;
  private readonly setTimer: NonNullable<WorkerFeedOptions['setTimer']>;
  private held: LoggedQuery[] = [];
  private scheduled = false;
  /** A batch handed to the channel and not yet written. */
  private sending = false;
  /** Dropped since the last batch that went out. */
  private dropped = 0;

  constructor(
    private readonly channel: WorkerChannel,
    private readonly identify: StatusReader['identify'],
    options: WorkerFeedOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? BATCH_INTERVAL_MS;
    this.maxDecisions = Math.min(options.maxDecisions ?? MAX_BATCH_DECISIONS, MAX_BATCH_DECISIONS);
    this.setTimer = options.setTimer ?? ((run, ms) => setTimeout(run, ms));
  }

  tap(log: QueryLog): QueryLog {
    return tapQueryLog(log, (query) => { this.record(query); });
  }

  /** On the query's path: one push, or one increment. */
  record(query: LoggedQuery): void {
    if (this.held.length >= this.maxDecisions) this.dropped++;
    else this.held.push(query);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // Held decisions never keep the process alive: at exit there is nobody to send them to.
    this.setTimer(this.flush, this.intervalMs).unref?.();
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const held = this.held;
    this.held = [];
    if (this.sending) {
      // The channel has not written the last batch yet: the primary is slow to read, or the
      // host is overloaded. Queueing more would only grow the worker's memory.
      this.dropped += held.length;
      return;
    }
    if (held.length === 0 && this.dropped === 0) return;
    const who = new Map<string, WireWho>();
    for (const query of held) {
      if (who.has(query.client)) continue;
      const known = this.identify(query.client);
      if (known?.mac !== undefined || known?.name !== undefined) who.set(query.client, [query.client, known.mac ?? null, known.name ?? null]);
    }
    const batch: DecisionBatch = {
      type: 'camshim:dashboard-batch', decisions: held.map((query) => toWire(this.resolver.resolve(query))), who: [...who.values()], dropped: this.dropped,
    };
    const lost = batch.decisions.length + batch.dropped;
    this.dropped = 0;
    this.sending = true;
    this.channel.send(batch, (error) => {
      this.sending = false;
      if (error !== null) this.dropped += lost;
      // What was dropped while this batch waited is reported even if no query follows.
      if (this.dropped > 0 || this.held.length > 0) this.schedule();
    });
  };
}

/** Answers the primary's status requests with this worker's own figures. */
export function answerStatusRequests(channel: WorkerChannel, slot: number, status: StatusReader): void {
  channel.onMessage((message) => {
    const received = receive(message);
    if (received.kind !== 'status-request') return;
    const { id } = received.message;
    void (async () => {
      const reply: StatusReply = { type: 'camshim:dashboard-status', id, slot, ntp: await status.ntp(), lists: await status.lists(), upstream: await status.upstream() };
      channel.send(reply, () => undefined);
    })().catch(() => undefined);
  });
}
