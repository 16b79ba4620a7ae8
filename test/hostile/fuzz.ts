/**
 * A small seeded generator and byte mutators for the hostile-input tests. Every run prints its
 * seed; `CAMSHIM_FUZZ_SEED=<n>` replays a run exactly, `CAMSHIM_FUZZ_SCALE=<k>` multiplies the
 * iteration counts (the soak run uses it).
 *
 * Why not fast-check: the properties here are "never throws anything but a typed error" over
 * byte strings, which need no shrinking to diagnose (the failing input is printed in hex), and a
 * 30-line generator keeps the dependency list and the test start-up time where they are.
 */
import { mulberry32 } from '../helpers/prng.js';

export class Prng {
  /** mulberry32: uniform 32-bit output. */
  readonly next: () => number;
  constructor(readonly seed: number) { this.next = mulberry32(seed >>> 0 || 0x9e3779b9); }

  /** Integer in [0, n). */
  int(n: number): number { return n <= 0 ? 0 : Math.floor((this.next() / 0x1_0000_0000) * n); }
  chance(p: number): boolean { return this.next() / 0x1_0000_0000 < p; }
  pick<T>(items: readonly T[]): T { return items[this.int(items.length)]!; }
  bytes(length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i++) out[i] = this.next() & 0xff;
    return out;
  }
}

export function fuzzSeed(label: string): Prng {
  const fromEnv = process.env.CAMSHIM_FUZZ_SEED;
  const seed = fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
  // Printed through the test runner's diagnostics so a failure says how to replay it.
  console.log(`# ${label}: seed ${seed} (replay with CAMSHIM_FUZZ_SEED=${seed})`);
  return new Prng(seed);
}

export function fuzzScale(): number {
  const scale = Number(process.env.CAMSHIM_FUZZ_SCALE ?? '1');
  return Number.isFinite(scale) && scale > 0 ? scale : 1;
}

/** One mutation of `input`: bit flips, byte sets, truncation, extension, splices, count changes. */
export function mutate(rng: Prng, input: Uint8Array): Buffer {
  let out = Buffer.from(input);
  const rounds = 1 + rng.int(4);
  for (let round = 0; round < rounds; round++) {
    switch (rng.int(9)) {
      case 0: // bit flip
        if (out.length > 0) { const at = rng.int(out.length); out[at] = out[at]! ^ (1 << rng.int(8)); }
        break;
      case 1: // random byte
        if (out.length > 0) out[rng.int(out.length)] = rng.int(256);
        break;
      case 2: // truncate
        out = out.subarray(0, rng.int(out.length + 1));
        break;
      case 3: // extend with random bytes
        out = Buffer.concat([out, rng.bytes(1 + rng.int(64))]);
        break;
      case 4: // interesting byte values at a random place (pointer marks, label limits, zero)
        if (out.length > 0) out[rng.int(out.length)] = rng.pick([0x00, 0x3f, 0x40, 0x7f, 0x80, 0xbf, 0xc0, 0xc0 | rng.int(64), 0xff]);
        break;
      case 5: // a header count word set to something wrong (DNS: bytes 4..11)
        if (out.length >= 12) out.writeUInt16BE(rng.pick([0, 1, 2, 0xff, 0xffff, rng.int(0x10000)]), 4 + 2 * rng.int(4));
        break;
      case 6: // duplicate a slice somewhere
        if (out.length > 0) {
          const from = rng.int(out.length);
          const slice = out.subarray(from, from + 1 + rng.int(32));
          const at = rng.int(out.length + 1);
          out = Buffer.concat([out.subarray(0, at), slice, out.subarray(at)]);
        }
        break;
      case 7: // a compression pointer to a random (possibly self or forward) offset
        if (out.length >= 2) {
          const at = rng.int(out.length - 1);
          const target = rng.chance(0.5) ? at : rng.int(Math.max(1, out.length));
          out.writeUInt16BE(0xc000 | (target & 0x3fff), at);
        }
        break;
      default: // delete a slice
        if (out.length > 0) {
          const from = rng.int(out.length);
          out = Buffer.concat([out.subarray(0, from), out.subarray(from + 1 + rng.int(16))]);
        }
    }
  }
  return out;
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
