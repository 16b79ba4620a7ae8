import type { Forwarded, QueryContext } from './context.js';

/**
 * What the pipeline needs for names it does not answer itself: something that sends the query
 * upstream and always settles with a response for the client (SERVFAIL when nothing answers).
 * Declared here, where it is used; src/upstream implements it.
 */
export interface Forwarder {
  forward(context: QueryContext): Promise<Forwarded>;
  /** One line for the start-up log and `camshim query`: where forwarded queries go. */
  describe(): string;
  close(): Promise<void>;
}
