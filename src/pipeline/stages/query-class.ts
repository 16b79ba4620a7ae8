import { CLASS_IN, RCode } from '../../wire/constants.js';
import type { AnswerBuilder } from '../answer-builder.js';
import type { Stage } from '../context.js';

/** Only class IN has data here; CHAOS probes (version.bind) and the rest are refused. */
export function queryClassStage(answers: AnswerBuilder): Stage {
  return {
    name: 'query-class',
    decide(context) {
      if (context.query.qclass === CLASS_IN) return undefined;
      return { kind: 'policy-refused', stage: 'query-class', group: context.group.name, rcode: RCode.Refused, response: answers.error(context, RCode.Refused), reason: `class ${context.query.qclass}` };
    },
  };
}
