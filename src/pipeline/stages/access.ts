import { RCode } from '../../wire/constants.js';
import type { AnswerBuilder } from '../answer-builder.js';
import type { Stage } from '../context.js';

/** Clients outside the access networks get REFUSED: camshim is never an open resolver. */
export function accessStage(answers: AnswerBuilder): Stage {
  return {
    name: 'access',
    decide(context) {
      if (context.allowed) return undefined;
      return { kind: 'refused', stage: 'access', group: context.group.name, rcode: RCode.Refused, response: answers.error(context, RCode.Refused), reason: 'client outside access networks' };
    },
  };
}
