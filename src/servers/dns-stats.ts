import type { AnswerKind } from '../pipeline/answer-kinds.js';
import type { FairSchedulerStats } from './fair-scheduler.js';

/** Counters for the DNS side; names match answer kinds so logs, metrics and reports agree. */
export class DnsStats {
  readonly answers: Record<AnswerKind, number> = noAnswers();
  /**
   * The same answers split by client group (by name, so counts carry over reloads). Only queries
   * that reached the stage chain have a group: protocol errors before it count in `answers` only.
   */
  readonly answersByGroup = new Map<string, Record<AnswerKind, number>>();
  /** Sinkholed queries by the list whose rule decided (by list name, so counts carry over reloads). */
  readonly sinkholedByList = new Map<string, number>();
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

  /** Counts one answer given before the stage chain (malformed or refused packets). */
  countAnswer(kind: AnswerKind): void {
    countKind(this.answers, kind);
  }

  /** Counts one answer of the stage chain: in the totals and in its group's. */
  countGroupAnswer(group: string, kind: AnswerKind): void {
    countKind(this.answers, kind);
    let answers = this.answersByGroup.get(group);
    if (answers === undefined) { answers = noAnswers(); this.answersByGroup.set(group, answers); }
    countKind(answers, kind);
  }

  countSinkholed(list: string): void {
    this.sinkholedByList.set(list, (this.sinkholedByList.get(list) ?? 0) + 1);
  }

  /** For the stop log line: the maps as plain objects (JSON would write a Map as {}). */
  toJSON(): object {
    return { ...this, answersByGroup: Object.fromEntries(this.answersByGroup), sinkholedByList: Object.fromEntries(this.sinkholedByList) };
  }
}

function noAnswers(): Record<AnswerKind, number> {
  return {
    sinkhole: 0, redirect: 0, unlisted: 0, 'policy-refused': 0, forward: 0, allowed: 0,
    refused: 0, 'rate-limited': 0, badvers: 0, notimp: 0, formerr: 0,
  };
}

/**
 * A switch with a direct increment per kind: `answers[kind]++` with a variable key went through
 * V8's megamorphic keyed load and store, on every query.
 */
function countKind(answers: Record<AnswerKind, number>, kind: AnswerKind): void {
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
