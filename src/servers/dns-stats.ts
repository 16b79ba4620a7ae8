import type { AnswerKind } from '../pipeline/context.js';
import type { FairSchedulerStats } from './fair-scheduler.js';

/** Counters for the DNS side; names match answer kinds so logs, metrics and reports agree. */
export class DnsStats {
  readonly answers: Record<AnswerKind, number> = {
    sinkhole: 0, redirect: 0, unlisted: 0, 'policy-refused': 0, forward: 0, allowed: 0,
    refused: 0, 'rate-limited': 0, badvers: 0, notimp: 0, formerr: 0,
  };
  queriesUdp = 0;
  /**
   * Fair scheduling of UDP, counted by the schedulers of every UDP socket: queries that waited
   * their turn behind the client's own earlier ones, and queries dropped at a full queue (a flood).
   */
  readonly udpScheduling: FairSchedulerStats = { deferred: 0, dropped: 0 };
  queriesTcp = 0;
  dropped = 0;
  internalErrors = 0;
  tcpConnections = 0;
  tcpRejected = 0;
  tcpTimeouts = 0;
  /** Connections closed at the cap to make room for a new one (the one longest without a complete query). */
  tcpEvicted = 0;

  /**
   * Counts one answer. A switch with a direct increment per kind: `answers[kind]++` with a
   * variable key went through V8's megamorphic keyed load and store, measurably on every query.
   */
  countAnswer(kind: AnswerKind): void {
    const answers = this.answers;
    switch (kind) {
      case 'sinkhole': answers.sinkhole++; break;
      case 'unlisted': answers.unlisted++; break;
      case 'redirect': answers.redirect++; break;
      case 'forward': answers.forward++; break;
      case 'allowed': answers.allowed++; break;
      case 'refused': answers.refused++; break;
      case 'policy-refused': answers['policy-refused']++; break;
      case 'rate-limited': answers['rate-limited']++; break;
      case 'badvers': answers.badvers++; break;
      case 'notimp': answers.notimp++; break;
      case 'formerr': answers.formerr++; break;
    }
  }
}
