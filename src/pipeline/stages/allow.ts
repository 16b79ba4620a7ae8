import type { Forwarder } from '../forwarder.js';
import type { Stage } from '../context.js';

/** Allow entries win over block entries (and over a deny-by-default policy): the name goes upstream. */
export function allowStage(forwarder: Forwarder): Stage {
  return {
    name: 'allow',
    decide(context) {
      if (context.match.allow < 0) return undefined;
      return { kind: 'allowed', response: forwarder.forward(context), reason: 'allow entry', rule: context.match.allow };
    },
  };
}
