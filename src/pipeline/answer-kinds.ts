/**
 * The one table of answer kinds: the word each answer is known by in logs, counters, metrics,
 * `camshim query` and `camshim report`, whether the sinkhole log writes a line for it, and what
 * it means. Everything else that lists kinds is derived from here.
 */
export const ANSWER_KINDS = {
  sinkhole: { logged: true, meaning: 'on a block list: NXDOMAIN with an SOA' },
  redirect: { logged: true, meaning: 'an NTP name, answered with an address where camshim serves NTP' },
  unlisted: { logged: true, meaning: 'on no list, and the group denies unlisted names: NXDOMAIN' },
  'policy-refused': { logged: false, meaning: 'on no list (or a class other than IN), and the group refuses: REFUSED' },
  forward: { logged: false, meaning: 'on no list, sent upstream' },
  allowed: { logged: false, meaning: 'on an allow list, sent upstream whatever the block lists say' },
  refused: { logged: false, meaning: 'client outside the access networks: REFUSED' },
  'rate-limited': { logged: false, meaning: 'client over the rate limit: REFUSED or nothing' },
  badvers: { logged: false, meaning: 'an EDNS version camshim does not speak: BADVERS' },
  notimp: { logged: false, meaning: 'an opcode other than QUERY: NOTIMP' },
  formerr: { logged: false, meaning: 'a malformed query: FORMERR' },
} as const satisfies Record<string, { readonly logged: boolean; readonly meaning: string }>;

export type AnswerKind = keyof typeof ANSWER_KINDS;

/** The kinds the sinkhole log writes a line for: what called home, how often, from which client. */
export type LoggedKind = { [K in AnswerKind]: typeof ANSWER_KINDS[K]['logged'] extends true ? K : never }[AnswerKind];

export const ANSWER_KIND_NAMES = Object.keys(ANSWER_KINDS) as AnswerKind[];
export const LOGGED_KINDS = ANSWER_KIND_NAMES.filter((kind) => ANSWER_KINDS[kind].logged) as LoggedKind[];

export function isLoggedKind(kind: AnswerKind): kind is LoggedKind {
  return kind === 'sinkhole' || kind === 'redirect' || kind === 'unlisted';
}
