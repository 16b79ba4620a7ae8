/**
 * The hash the domain table is keyed by. FNV-1a taken right to left, so one pass over a name
 * yields the hash of every suffix (`a.b.c`, `b.c`, `c`) on the way; a 32-bit finaliser
 * (murmur3 fmix) then spreads it, because slot and tag are taken from different bits.
 */
export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 16777619;

export function finishHash(running: number): number {
  let h = running >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hash of the whole byte range [from, to), as `match` computes it at the range's start. */
export function hashBytes(bytes: Uint8Array, from: number, to: number): number {
  let hash = FNV_OFFSET;
  for (let i = to - 1; i >= from; i--) hash = Math.imul(hash ^ (bytes[i]! & 0x7f), FNV_PRIME);
  return finishHash(hash);
}

export function hashText(text: string, from: number, to: number): number {
  return finishHash(runningHashText(text, from, to));
}

/** The unfinished right-to-left FNV of text[from, to): what a byte loop holds on reaching `from`. */
export function runningHashText(text: string, from: number, to: number): number {
  let hash = FNV_OFFSET;
  for (let i = to - 1; i >= from; i--) hash = Math.imul(hash ^ text.charCodeAt(i), FNV_PRIME);
  return hash;
}

/** Slot tag: low hash bits (the slot comes from the high ones); never 0, which marks an empty slot. */
export function tagOf(hash: number): number {
  return (hash & 0xff) || 1;
}
