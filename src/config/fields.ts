import ipaddr from 'ipaddr.js';
import './zod-setup.js';
import * as z from 'zod/mini';
import { normalizeMac } from '../clients/index.js';
import { isIpAddress } from '../net/ip-text.js';
import { parseUpstreamAddress } from '../net/upstream-address.js';

/**
 * The value kinds of the config file, as zod schemas. Every one reports problems the same way,
 * "expected WHAT, got VALUE" (or "missing; expected WHAT"), so a user reads one style of message
 * whatever the field; load-config adds the dotted path. Each also carries its description into
 * the JSON Schema that editors use.
 */

/** How a value the user wrote is shown in a message: short, and never the whole of a long string. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  return String(value);
}

/** The error option that gives every issue of a field the one message shape. */
function expecting(what: string): { error: (issue: { input?: unknown }) => string } {
  return { error: (issue) => (issue.input === undefined ? `missing; expected ${what}` : `expected ${what}, got ${describeValue(issue.input)}`) };
}

export function integer(min: number, max: number, what = `an integer from ${min} to ${max}`) {
  return z.int(expecting(what)).check(z.minimum(min, expecting(what)), z.maximum(max, expecting(what)));
}

export function number(min: number, max: number) {
  const what = `a number from ${min} to ${max}`;
  return z.number(expecting(what)).check(z.minimum(min, expecting(what)), z.maximum(max, expecting(what)));
}

/** A port a server binds. 0 is never a port a user means (the kernel would pick one at random). */
export function port() {
  return integer(1, 65535, 'a port number from 1 to 65535');
}

export function boolean() {
  return z.boolean(expecting('true or false'));
}

export function string(what: string, pattern?: RegExp) {
  const base = z.string(expecting(what));
  return pattern === undefined ? base : base.check(z.regex(pattern, expecting(what)));
}

/** A name other settings refer to (groups, lists). */
export function name() {
  return string('a name of letters, digits, _ . -', /^[A-Za-z0-9_.-]{1,64}$/);
}

export function oneOf<const T extends readonly [string, ...string[]]>(choices: T) {
  return z.enum(choices, expecting(`one of ${choices.map((c) => `"${c}"`).join(', ')}`));
}

export function list<T extends z.ZodMiniType>(item: T, what: string, options: { min?: number } = {}) {
  const base = z.array(item, expecting(`a list of ${what}`));
  return options.min === undefined ? base : base.check(z.minLength(options.min, { error: () => `expected at least ${options.min} item(s)` }));
}

/**
 * A mapping with known keys only: an unknown key is an error that names the keys allowed (a
 * misspelt key silently ignored would leave a setting at its default without a word).
 */
export function section<S extends z.core.$ZodLooseShape>(shape: S) {
  const keys = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown key; expected one of: ${keys}`
      : issue.input === undefined ? 'missing; expected a mapping' : `expected a mapping, got ${describeValue(issue.input)}`),
  });
}

/** An IPv4 or IPv6 address, in its normal text form. */
export function ipAddress() {
  const what = 'an IPv4 or IPv6 address';
  return z.pipe(z.string(expecting(what)).check(z.refine(isIpAddress, expecting(what))), z.transform((value: string) => ipaddr.parse(value).toString()));
}

export function ipv4Address() {
  const what = 'an IPv4 address';
  return z.string(expecting(what)).check(z.refine((value) => ipaddr.IPv4.isValidFourPartDecimal(value), expecting(what)));
}

export function ipv6Address() {
  const what = 'an IPv6 address';
  return z.pipe(z.string(expecting(what)).check(z.refine((value) => ipaddr.IPv6.isValid(value), expecting(what))), z.transform((value: string) => ipaddr.IPv6.parse(value).toString()));
}

/** A network in CIDR notation (a bare address means a single host), normalised. */
export function cidr() {
  const what = 'a network such as 192.168.20.0/24 or fd00::/8';
  return z.pipe(z.string(expecting(what)).check(z.refine((value) => normalCidr(value) !== undefined, expecting(what))), z.transform((value: string) => normalCidr(value)!));
}

/**
 * A group member: a network (as `cidr`) or a MAC address in any common notation, normalised to
 * `aa:bb:cc:dd:ee:ff`. A normalised network always has a `/`, a MAC never does.
 */
export function clientMatch() {
  const what = 'a network such as 192.168.20.0/24, or a MAC address such as 5c:e9:31:aa:bb:cc';
  const normal = (value: string): string | undefined => normalizeMac(value) ?? normalCidr(value);
  return z.pipe(z.string(expecting(what)).check(z.refine((value) => normal(value) !== undefined, expecting(what))), z.transform((value: string) => normal(value)!));
}

/** `10m`: a size in k, m or g bytes (pino-roll's notation). */
export function byteSize() {
  return string('a size such as 500k, 10m or 1g', /^[1-9]\d*[kmg]$/i);
}

function normalCidr(value: string): string | undefined {
  try {
    if (value.includes('/')) {
      const [address, bits] = ipaddr.parseCIDR(value);
      return `${address.toString()}/${bits}`;
    }
    const address = ipaddr.parse(value);
    return `${address.toString()}/${address.kind() === 'ipv4' ? 32 : 128}`;
  } catch {
    return undefined;
  }
}

/** A domain name as written in config: lower-cased, trailing dot removed. */
export function domainName() {
  const what = 'a domain name such as time.example.com';
  const label = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
  const normal = (value: string): string => value.toLowerCase().replace(/\.$/, '');
  const valid = (value: string): boolean => {
    const text = normal(value);
    return text.length > 0 && text.length <= 253 && text.split('.').every((part) => label.test(part));
  };
  return z.pipe(z.string(expecting(what)).check(z.refine(valid, expecting(what))), z.transform(normal));
}

/** An upstream DNS server: an address, never a host name (resolving it would need DNS, which is us). */
export function upstreamAddress() {
  const what = 'an upstream as IP[:port] or [IPv6]:port (host names are not accepted)';
  return z.string(expecting(what)).check(z.refine((value) => typeof parseUpstreamAddress(value) !== 'string', expecting(what)));
}

/** Units a duration may be written in, as milliseconds. */
const DURATION_UNITS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration written as `90s`, `30m`, `24h` or `7d` (or a number of seconds), as milliseconds. */
export function duration(minMs: number, maxMs: number) {
  const what = `a duration such as 30m, 24h or 7d, from ${minMs / 1000}s to ${maxMs / 86_400_000}d`;
  const toMs = (value: string | number): number | undefined => {
    if (typeof value === 'number') return Number.isFinite(value) ? value * 1000 : undefined;
    const match = /^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$/i.exec(value);
    return match === null ? undefined : Number(match[1]) * DURATION_UNITS[match[2]!.toLowerCase()]!;
  };
  const valid = (value: string | number): boolean => { const ms = toMs(value); return ms !== undefined && ms >= minMs && ms <= maxMs; };
  return z.pipe(z.union([z.string(), z.number()], expecting(what)).check(z.refine(valid, expecting(what))), z.transform((value: string | number) => Math.round(toMs(value)!)));
}

/** An http:// or https:// URL, in its normal form. */
export function httpUrl() {
  const what = 'an http:// or https:// URL';
  const parse = (value: string): URL | undefined => {
    try {
      const url = new URL(value);
      return url.protocol === 'https:' || url.protocol === 'http:' ? url : undefined;
    } catch {
      return undefined;
    }
  };
  return z.pipe(z.string(expecting(what)).check(z.refine((value) => parse(value) !== undefined, expecting(what))), z.transform((value: string) => parse(value)!.href));
}
