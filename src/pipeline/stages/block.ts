import { RCode } from '../../wire/constants.js';
import type { AnswerBuilder } from '../answer-builder.js';
import type { Stage } from '../context.js';

/**
 * A name on a blocklist, or below one, gets NXDOMAIN for every type, with an SOA owned by the
 * matched rule's name so resolvers cache the negative answer for the whole blocked zone (RFC 2308).
 */
export function blockStage(answers: AnswerBuilder): Stage {
  return {
    name: 'block',
    decide(context) {
      const { block, blockSuffix } = context.match;
      if (block < 0) return undefined;
      return { kind: 'sinkhole', stage: 'block', group: context.group.name, rcode: RCode.NxDomain, response: answers.negative(context, RCode.NxDomain, blockSuffix), reason: 'blocklist', rule: block };
    },
  };
}
