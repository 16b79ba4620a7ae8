import { MAX_LABEL, MAX_NAME_WIRE } from './constants.js';

/**
 * Domain names as text: the presentation format of RFC 1035 §5.1, as dig prints it. A label is
 * any bytes on the wire, so the text escapes what would be ambiguous: `\.` for a dot inside a
 * label, `\\`, `\"` `\(` `\)` `\;` `\@` `\$` (the master-file specials BIND escapes), and
 * `\DDD` (three decimal digits) for bytes outside 0x21-0x7e. Only unescaped dots separate
 * labels. ASCII letters are lower-cased (RFC 4343: names compare without ASCII case, and no
 * other byte is touched).
 *
 * Names made only of letters, digits, `-` and `_` (every list rule, almost every query) read the
 * same escaped or not: the escaping costs the common case one table read per byte.
 */

const BACKSLASH = 0x5c;
const DOT = 0x2e;

/**
 * Per wire byte: the text byte it becomes (ASCII upper case lower-cased), or 0 when it needs an
 * escape (a byte that prints as itself is never 0).
 */
export const PLAIN_TEXT_BYTE: Uint8Array = (() => {
  const table = new Uint8Array(256);
  for (let byte = 0x21; byte <= 0x7e; byte++) table[byte] = byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte;
  for (const special of '.\\"();@$') table[special.charCodeAt(0)] = 0;
  return table;
})();

/** Text bytes a wire label of `length` bytes can take at most: every byte as `\DDD`. */
export const MAX_TEXT_PER_WIRE_BYTE = 4;

/**
 * Writes the escaped text of the label bytes[from, to) into `out` at `at` (lower-cased);
 * returns the offset after it. `out` needs room for 4 bytes per label byte.
 */
export function writeLabelText(bytes: Uint8Array, from: number, to: number, out: Uint8Array, at: number): number {
  for (let i = from; i < to; i++) {
    const byte = bytes[i]!;
    const plain = PLAIN_TEXT_BYTE[byte]!;
    if (plain !== 0) { out[at++] = plain; continue; }
    out[at++] = BACKSLASH;
    if (byte > 0x20 && byte < 0x7f) { out[at++] = byte; continue; }
    out[at++] = 0x30 + Math.floor(byte / 100);
    out[at++] = 0x30 + (Math.floor(byte / 10) % 10);
    out[at++] = 0x30 + (byte % 10);
  }
  return at;
}

/**
 * The presentation text of the uncompressed wire name at `offset` (lower-cased, no trailing dot,
 * '' for the root), or undefined when the bytes there are not a complete uncompressed name.
 */
export function nameText(packet: Uint8Array, offset: number): string | undefined {
  const out = new Uint8Array(MAX_NAME_WIRE * MAX_TEXT_PER_WIRE_BYTE);
  let at = 0;
  let wire = 0;
  for (let position = offset; ;) {
    const length = packet[position];
    if (length === undefined || length > MAX_LABEL) return undefined;
    wire += 1 + length;
    if (wire > MAX_NAME_WIRE) return undefined;
    if (length === 0) break;
    if (position + 1 + length > packet.length) return undefined;
    if (at !== 0) out[at++] = DOT;
    at = writeLabelText(packet, position + 1, position + 1 + length, out, at);
    position += 1 + length;
  }
  return Buffer.from(out.buffer, 0, at).toString('latin1');
}

/**
 * Whether `text[index]`, a dot, separates labels: it does unless an odd run of backslashes
 * stands right before it (`a\.b` is one label, `a\\.b` two). Callers test the common case
 * (no backslash before the dot) first.
 */
export function dotSeparates(text: string, index: number): boolean {
  let backslashes = 0;
  for (let i = index - 1; i >= 0 && text.charCodeAt(i) === BACKSLASH; i--) backslashes++;
  return (backslashes & 1) === 0;
}

/** Whether a label starts at `text[index]` of a presentation name (index 0, or just after a separating dot). */
export function isLabelStart(text: string, index: number): boolean {
  if (index === 0) return true;
  if (text.charCodeAt(index - 1) !== DOT) return false;
  return index < 2 || text.charCodeAt(index - 2) !== BACKSLASH || dotSeparates(text, index - 1);
}

/** How many labels of a presentation name lie before the label that starts at `index`. */
export function labelsBefore(text: string, index: number): number {
  let labels = 0;
  for (let i = 0; i < index; i++) {
    const code = text.charCodeAt(i);
    if (code === BACKSLASH) i++; // the escaped character (or the first digit of \DDD) is never a separator
    else if (code === DOT) labels++;
  }
  return labels;
}

/**
 * Encodes a name in presentation format (escapes as above; a trailing dot optional; '' or '.'
 * for the root) as uncompressed wire labels, keeping the case it is given. Throws RangeError on
 * an empty label, a label over 63 bytes, a name over 255 bytes, a bad escape or a character above 0xff.
 */
export function encodeNameText(text: string): Buffer {
  const out = Buffer.allocUnsafe(MAX_NAME_WIRE + MAX_LABEL + 2);
  const fail = (why: string): RangeError => new RangeError(`${why} in ${JSON.stringify(text)}`);
  if (text === '.' || text === '') { out[0] = 0; return Buffer.from(out.subarray(0, 1)); }
  let lengthAt = 0;
  let at = 1;
  const closeLabel = (): void => {
    const length = at - lengthAt - 1;
    if (length === 0) throw fail('empty label');
    if (length > MAX_LABEL) throw fail('label over 63 bytes');
    out[lengthAt] = length;
    lengthAt = at;
    at += 1;
  };
  for (let i = 0; i < text.length; i++) {
    if (at > MAX_NAME_WIRE + 1) throw fail('name over 255 bytes');
    let code = text.charCodeAt(i);
    if (code === DOT) {
      closeLabel();
      if (i === text.length - 1) { out[lengthAt] = 0; return finish(out, lengthAt + 1, fail); }
      continue;
    }
    if (code === BACKSLASH) {
      const next = text.charCodeAt(i + 1);
      if (Number.isNaN(next)) throw fail('backslash at the end');
      if (next >= 0x30 && next <= 0x39) {
        const digits = text.slice(i + 1, i + 4);
        if (!/^\d{3}$/.test(digits) || Number(digits) > 255) throw fail('bad \\DDD escape');
        code = Number(digits);
        i += 3;
      } else {
        code = next;
        i += 1;
      }
    }
    if (code > 0xff) throw fail('character above 0xff');
    out[at++] = code;
  }
  closeLabel();
  out[lengthAt] = 0;
  return finish(out, lengthAt + 1, fail);
}

function finish(out: Buffer, length: number, fail: (why: string) => RangeError): Buffer {
  if (length > MAX_NAME_WIRE) throw fail('name over 255 bytes');
  return Buffer.from(out.subarray(0, length));
}

/** The canonical text of a name typed by a user: parsed as presentation format, printed back lower-cased and escaped. */
export function canonicalNameText(text: string): string {
  return nameText(encodeNameText(text), 0)!;
}
