import { RCode } from '../../wire/constants.js';
import type { AnswerBuilder } from '../answer-builder.js';
import type { Stage } from '../context.js';

/** RFC 6891 6.1.3: an EDNS version we do not speak (above 0) gets BADVERS and nothing else. */
export function ednsVersionStage(answers: AnswerBuilder): Stage {
  return {
    name: 'edns-version',
    decide(context) {
      const edns = context.query.edns;
      if (edns === null || edns.version === 0) return undefined;
      return { kind: 'badvers', stage: 'edns-version', group: context.group.name, rcode: RCode.BadVers, response: answers.error(context, RCode.BadVers), reason: `EDNS version ${edns.version}` };
    },
  };
}
