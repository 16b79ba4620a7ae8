import { readFile } from 'node:fs/promises';
import type { Config } from '../config/config-schema.js';
import { RCode } from '../wire/constants.js';
import { buildError } from '../wire/response.js';
import type { Forwarded, QueryContext } from '../pipeline/context.js';
import type { Forwarder } from '../pipeline/forwarder.js';
import { planUpstreams } from './upstream-plan.js';

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

  forward(context: QueryContext): Promise<Forwarded> {
    const response = buildError(context.packet, context.query, context.query.id, context.query.flags, RCode.ServFail, this.serverPayload);
    return Promise.resolve({ response, rcode: RCode.ServFail, source: 'not sent (planning only)' });
  }

  describe(): string { return this.text; }

  close(): Promise<void> { return Promise.resolve(); }
}
