import { readFile } from 'node:fs/promises';
import type { Config } from '../config/config-schema.js';
import { RCode } from '../dns/wire/constants.js';
import { buildError } from '../dns/wire/response.js';
import type { AnswerBuilder } from '../pipeline/answer-builder.js';
import type { QueryContext } from '../pipeline/context.js';
import { planUpstreams } from './upstream-plan.js';

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

/**
 * For `camshim check` and `camshim query`: names the upstreams the daemon would use (config, or
 * the resolv.conf nameservers without camshim's own addresses) and never sends a packet.
 */
export class PlannedForwarder implements Forwarder {
  private constructor(private readonly serverPayload: number, private readonly text: string) {}

  static async plan(config: Config, read: (path: string) => Promise<string> = (path) => readFile(path, 'utf8')): Promise<PlannedForwarder> {
    const plan = await planUpstreams({
      servers: config.upstream.servers, resolvConf: config.upstream.resolvConf, readFile: read,
      // Without bound sockets: the configured listen addresses and port stand for camshim itself.
      self: { listening: config.dns.listen.map((address) => ({ address, port: config.dns.port })), hostAddresses: [] },
    });
    const text = plan.upstreams.length === 0
      ? `no upstream (${plan.emptyReason ?? 'none'}): forwarded names get SERVFAIL`
      : `${plan.upstreams.map((upstream) => upstream.label).join(', ')} (from ${plan.source})`;
    return new PlannedForwarder(config.dns.ednsPayload, text);
  }

  forward(context: QueryContext): Promise<Buffer> {
    return Promise.resolve(buildError(context.packet, context.query, context.query.id, context.query.flags, RCode.ServFail, this.serverPayload));
  }

  describe(): string { return this.text; }

  close(): Promise<void> { return Promise.resolve(); }
}
