import { QType, RCode } from '../../wire/constants.js';
import type { LocalAddressPicker } from '../../net/local-address.js';
import type { AnswerBuilder } from '../answer-builder.js';
import type { Stage } from '../context.js';

/**
 * NTP names resolve to camshim itself, so a camera with a hard-coded NTP host gets its time
 * from the router: A with our IPv4 on the interface facing the client, AAAA with our IPv6 there
 * (or NODATA when we have none), every other type NODATA.
 */
export function ntpRedirectStage(answers: AnswerBuilder, addresses: LocalAddressPicker): Stage {
  return {
    name: 'ntp-redirect',
    decide(context) {
      if (context.match.redirect < 0) return undefined;
      const { qtype } = context.query;
      const reason = 'NTP name';
      if (qtype !== QType.A && qtype !== QType.AAAA) {
        return { kind: 'redirect', stage: 'ntp-redirect', group: context.group.name, rcode: RCode.NoError, response: answers.negative(context, RCode.NoError, 0), reason, rule: context.match.redirect };
      }
      const picked = addresses.pick(context.client.address, context.client.localAddress);
      const address = qtype === QType.A ? picked.ipv4 : picked.ipv6;
      if (address === undefined) {
        return { kind: 'redirect', stage: 'ntp-redirect', group: context.group.name, rcode: RCode.NoError, response: answers.negative(context, RCode.NoError, 0), reason, rule: context.match.redirect };
      }
      return { kind: 'redirect', stage: 'ntp-redirect', group: context.group.name, rcode: RCode.NoError, address, response: answers.addresses(context, [address]), reason, rule: context.match.redirect };
    },
  };
}
