import type { Forwarder } from '../forwarder.js';
import { responseOf, type Stage } from '../context.js';

/** Allow entries win over block entries (and over a deny-by-default policy): the name goes upstream. */
export function allowStage(forwarder: Forwarder): Stage {
  return {
    name: 'allow',
    decide(context) {
      if (context.match.allow < 0) return undefined;
      const forwarded = forwarder.forward(context);
      return {
        kind: 'allowed', stage: 'allow', group: context.group.name, rcode: undefined, reason: 'allow entry', rule: context.match.allow,
        forwarded, response: forwarded.then(responseOf),
      };
    },
  };
}
