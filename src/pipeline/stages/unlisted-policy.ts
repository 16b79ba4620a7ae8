import { RCode } from '../../wire/constants.js';
import type { Forwarder } from '../forwarder.js';
import type { AnswerBuilder } from '../answer-builder.js';
import type { Stage } from '../context.js';

/** The last stage: names on no list follow the client group's policy. */
export function unlistedPolicyStage(answers: AnswerBuilder, forwarder: Forwarder): Stage {
  return {
    name: 'unlisted-policy',
    decide(context) {
      switch (context.group.unlisted) {
        case 'nxdomain':
          return { kind: 'unlisted', response: answers.negative(context, RCode.NxDomain, 0), reason: `group ${context.group.name} denies unlisted names` };
        case 'refuse':
          return { kind: 'policy-refused', response: answers.error(context, RCode.Refused), reason: `group ${context.group.name} refuses unlisted names` };
        case 'forward':
          return { kind: 'forward', response: forwarder.forward(context), reason: `group ${context.group.name} forwards unlisted names` };
      }
    },
  };
}
