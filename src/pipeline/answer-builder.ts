import { RCode } from '../wire/constants.js';
import { buildAnswer, buildError, buildSoaTemplate, type SoaTemplate } from '../wire/response.js';
import type { QueryContext } from './context.js';

/**
 * Builds the answers camshim makes itself, from templates made once per config
 * (the SOA record, the payload size we advertise).
 */
export class AnswerBuilder {
  private readonly soa: SoaTemplate;

  constructor(negativeTtl: number, readonly serverPayload: number, readonly redirectTtl: number, serial: number) {
    this.soa = buildSoaTemplate(negativeTtl, serial);
  }

  /** NXDOMAIN (or NODATA with rcode NOERROR) with an SOA owned by the suffix at `ownerIndex`. */
  negative(context: QueryContext, rcode: RCode.NxDomain | RCode.NoError, ownerIndex: number): Buffer {
    return buildAnswer(context.packet, context.query, { rcode, authoritative: true, soa: { template: this.soa, ownerIndex } }, context.limit, this.serverPayload);
  }

  addresses(context: QueryContext, addresses: readonly Uint8Array[]): Buffer {
    return buildAnswer(context.packet, context.query, { rcode: RCode.NoError, authoritative: true, addresses, addressTtl: this.redirectTtl }, context.limit, this.serverPayload);
  }

  error(context: QueryContext, rcode: number): Buffer {
    // Recursion is offered only to clients inside the access networks.
    return buildError(context.packet, context.query, context.query.id, context.query.flags, rcode, this.serverPayload,
      { recursionAvailable: context.allowed });
  }
}
