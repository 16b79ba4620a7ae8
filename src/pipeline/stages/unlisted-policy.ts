import { RCode } from '../../wire/constants.js';
import type { Forwarder } from '../forwarder.js';
import type { AnswerBuilder } from '../answer-builder.js';
import { responseOf, type Stage } from '../context.js';

/** The last stage: names on no list follow the client group's policy. */
export function unlistedPolicyStage(answers: AnswerBuilder, forwarder: Forwarder): Stage {
  return {
    name: 'unlisted-policy',
    decide(context) {
      switch (context.group.unlisted) {
        case 'nxdomain':
          return { kind: 'unlisted', stage: 'unlisted-policy', group: context.group.name, rcode: RCode.NxDomain, response: answers.negative(context, RCode.NxDomain, 0), reason: `group ${context.group.name} denies unlisted names` };
        case 'refuse':
          return { kind: 'policy-refused', stage: 'unlisted-policy', group: context.group.name, rcode: RCode.Refused, response: answers.error(context, RCode.Refused), reason: `group ${context.group.name} refuses unlisted names` };
        case 'forward': {
          const forwarded = forwarder.forward(context);
          return {
            kind: 'forward', stage: 'unlisted-policy', group: context.group.name, rcode: undefined, reason: `group ${context.group.name} forwards unlisted names`,
            forwarded, response: forwarded.then(responseOf),
          };
        }
      }
    },
  };
}
