import { RCode } from '../dns/wire/constants.js';
import type { AnswerBuilder } from '../pipeline/answer-builder.js';
import type { QueryContext } from '../pipeline/context.js';

/** Sends queries for names on no list upstream. Always settles with a response for the client. */
export interface Forwarder {
  forward(context: QueryContext): Promise<Buffer>;
  /** One line for the start-up log and `camshim query`: where forwarded queries go. */
  describe(): string;
  close(): Promise<void>;
}

/** The forwarder when no upstream is usable: SERVFAIL, with the reason stated at start-up. */
export class NoUpstreamForwarder implements Forwarder {
  constructor(private readonly answers: AnswerBuilder, private readonly reason: string) {}

  forward(context: QueryContext): Promise<Buffer> {
    return Promise.resolve(this.answers.error(context, RCode.ServFail));
  }

  describe(): string {
    return `no upstream (${this.reason}): forwarded names get SERVFAIL`;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
