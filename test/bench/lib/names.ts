import { pick, weighted } from './rng.js';

/**
 * Real-looking domain names: pronounceable words, the TLD mix of public blocklists, and the
 * host prefixes ad/tracker lists are full of. Lengths come out like real lists (about 20-25
 * characters on average), which matters because the name bytes are most of the table's memory.
 */

const SYLLABLES = [
  'ka', 'lo', 'mi', 'tra', 'ser', 'vo', 'net', 'da', 'ta', 'ad', 'bi', 'cli', 'ck', 'zo', 'pex', 'ri', 'no', 'mar',
  'ket', 'sta', 'tis', 'lyt', 'ics', 'pro', 'mo', 'glo', 'bal', 've', 'ra', 'lin', 'ko', 'fa', 'ste', 'qu', 'an',
  'tum', 'sol', 'vi', 'deo', 'pix', 'el', 'tag', 'hub', 'go', 'me', 'dia', 'in', 'fo', 'cast', 'ly', 'ix', 'or',
];
const TLDS: readonly (readonly [string, number])[] = [
  ['com', 50], ['net', 12], ['org', 5], ['ru', 4], ['de', 3], ['info', 3], ['io', 3], ['cn', 3], ['xyz', 3],
  ['top', 2], ['co.uk', 2], ['com.br', 1], ['fr', 1], ['pl', 1], ['jp', 1], ['online', 1], ['site', 1], ['club', 1],
  ['biz', 1], ['tk', 1], ['in', 1], ['com.au', 1],
];
const PREFIXES = [
  'www', 'ads', 'ad', 'cdn', 'api', 'track', 'tracking', 'metrics', 'stats', 'pixel', 'img', 't', 's', 'static',
  'analytics', 'log', 'events', 'collect', 'beacon', 'sync', 'click', 'rtb', 'media', 'cloud', 'p2p', 'push',
];

export function word(random: () => number): string {
  const count = 2 + Math.floor(random() * 4);
  let text = '';
  for (let i = 0; i < count; i++) text += pick(random, SYLLABLES);
  const roll = random();
  if (roll < 0.15) text += String(Math.floor(random() * 100));
  else if (roll < 0.22) text += `-${pick(random, SYLLABLES)}${pick(random, SYLLABLES)}`;
  return text;
}

/** A registrable domain (word + TLD). */
export function baseDomain(random: () => number): string {
  return `${word(random)}.${weighted(random, TLDS)}`;
}

/** A host name as blocklists carry them: a bare domain, or one or two labels below one. */
export function hostName(random: () => number): string {
  const base = baseDomain(random);
  const roll = random();
  if (roll < 0.35) return base;
  const first = random() < 0.5 ? pick(random, PREFIXES) : word(random);
  const numbered = random() < 0.2 ? `${first}${Math.floor(random() * 20)}` : first;
  if (roll < 0.88) return `${numbered}.${base}`;
  return `${numbered}.${pick(random, PREFIXES)}.${base}`;
}

/** True when `name` or any of its parent names is in `set`. */
export function coveredBy(set: ReadonlySet<string>, name: string): boolean {
  if (set.has(name)) return true;
  for (let dot = name.indexOf('.'); dot !== -1; dot = name.indexOf('.', dot + 1)) {
    if (set.has(name.slice(dot + 1))) return true;
  }
  return false;
}
