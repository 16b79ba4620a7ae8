import ipaddr from 'ipaddr.js';
import type { Problem } from '../errors.js';
import { isIpAddress } from '../net/ip-text.js';

/**
 * A tiny schema language for the config: each schema checks a value, collects every problem
 * (with its dotted path and what was expected) instead of stopping at the first, and returns
 * the typed value. Output types are inferred, so the config type is never written twice.
 */
export const INVALID: unique symbol = Symbol('invalid');
export type Checked<T> = T | typeof INVALID;

export interface Schema<T> {
  readonly expected: string;
  check(value: unknown, path: string, problems: Problem[]): Checked<T>;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

function fail(problems: Problem[], path: string, expected: string, value: unknown): typeof INVALID {
  problems.push({ code: 'CONFIG_INVALID', path: path || '(top level)', message: `expected ${expected}, got ${describe(value)}` });
  return INVALID;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  return String(value);
}

export function string(options: { pattern?: RegExp; expected?: string } = {}): Schema<string> {
  const expected = options.expected ?? 'a string';
  return {
    expected,
    check(value, path, problems) {
      if (typeof value !== 'string' || (options.pattern !== undefined && !options.pattern.test(value))) {
        return fail(problems, path, expected, value);
      }
      return value;
    },
  };
}

export function integer(min: number, max: number): Schema<number> {
  const expected = `an integer from ${min} to ${max}`;
  return {
    expected,
    check(value, path, problems) {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) return fail(problems, path, expected, value);
      return value;
    },
  };
}

export function number(min: number, max: number): Schema<number> {
  const expected = `a number from ${min} to ${max}`;
  return {
    expected,
    check(value, path, problems) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) return fail(problems, path, expected, value);
      return value;
    },
  };
}

export function boolean(): Schema<boolean> {
  return {
    expected: 'true or false',
    check(value, path, problems) {
      return typeof value === 'boolean' ? value : fail(problems, path, 'true or false', value);
    },
  };
}

export function oneOf<const T extends string>(choices: readonly T[]): Schema<T> {
  const expected = `one of ${choices.map((c) => `"${c}"`).join(', ')}`;
  return {
    expected,
    check(value, path, problems) {
      return typeof value === 'string' && (choices as readonly string[]).includes(value) ? (value as T) : fail(problems, path, expected, value);
    },
  };
}

export function list<T>(item: Schema<T>, options: { min?: number; max?: number } = {}): Schema<T[]> {
  const expected = `a list of ${item.expected}`;
  return {
    expected,
    check(value, path, problems) {
      if (!Array.isArray(value)) return fail(problems, path, expected, value);
      if (options.min !== undefined && value.length < options.min) {
        problems.push({ code: 'CONFIG_INVALID', path, message: `expected at least ${options.min} item(s)` });
        return INVALID;
      }
      if (options.max !== undefined && value.length > options.max) {
        problems.push({ code: 'CONFIG_INVALID', path, message: `expected at most ${options.max} item(s)` });
        return INVALID;
      }
      const out: T[] = [];
      let ok = true;
      value.forEach((element, index) => {
        const checked = item.check(element, `${path}[${index}]`, problems);
        if (checked === INVALID) ok = false; else out.push(checked);
      });
      return ok ? out : INVALID;
    },
  };
}

/** A field of an object schema: required, optional, or with a default. */
export interface Field<T, Out> { readonly schema: Schema<T>; readonly mode: 'required' | 'optional' | 'default'; readonly fallback?: () => unknown; readonly out?: Out }
export function required<T>(schema: Schema<T>): Field<T, T> { return { schema, mode: 'required' }; }
export function optional<T>(schema: Schema<T>): Field<T, T | undefined> { return { schema, mode: 'optional' }; }
/** The fallback is raw input, checked like a written value, so `{}` yields a section's own defaults. */
export function withDefault<T>(schema: Schema<T>, fallback: unknown): Field<T, T> {
  return { schema, mode: 'default', fallback: () => structuredClone(fallback) };
}

type FieldOut<F> = F extends Field<unknown, infer Out> ? Out : never;
export type ObjectOut<Fields extends Record<string, Field<any, any>>> = { [K in keyof Fields]: FieldOut<Fields[K]> };

/** A mapping with known keys only: an unknown key is an error that names the keys allowed. */
export function object<Fields extends Record<string, Field<any, any>>>(fields: Fields): Schema<ObjectOut<Fields>> {
  const keys = Object.keys(fields);
  const expected = 'a mapping';
  return {
    expected,
    check(value, path, problems) {
      if (value === undefined || value === null) value = {};
      if (typeof value !== 'object' || Array.isArray(value)) return fail(problems, path, expected, value);
      const input = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      let ok = true;
      for (const key of Object.keys(input)) {
        if (!(key in fields)) {
          problems.push({ code: 'CONFIG_INVALID', path: join(path, key), message: `unknown key; expected one of: ${keys.join(', ')}` });
          ok = false;
        }
      }
      for (const key of keys) {
        const field = fields[key]!;
        const present = input[key] !== undefined && input[key] !== null;
        if (!present) {
          if (field.mode === 'required') {
            problems.push({ code: 'CONFIG_INVALID', path: join(path, key), message: `missing; expected ${field.schema.expected}` });
            ok = false;
          } else if (field.mode === 'default') {
            // Defaults go through the schema too, so nested objects get their own defaults.
            out[key] = field.schema.check(field.fallback!(), join(path, key), problems);
          }
          continue;
        }
        const checked = field.schema.check(input[key], join(path, key), problems);
        if (checked === INVALID) ok = false; else out[key] = checked;
      }
      return ok ? (out as ObjectOut<Fields>) : INVALID;
    },
  };
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** An IPv4 or IPv6 address, returned in its normal text form. */
export function ipAddress(): Schema<string> {
  const expected = 'an IPv4 or IPv6 address';
  return {
    expected,
    check(value, path, problems) {
      if (typeof value !== 'string' || !isIpAddress(value)) return fail(problems, path, expected, value);
      return ipaddr.parse(value).toString();
    },
  };
}

export function ipv4Address(): Schema<string> {
  const expected = 'an IPv4 address';
  return {
    expected,
    check(value, path, problems) {
      if (typeof value !== 'string' || !ipaddr.IPv4.isValidFourPartDecimal(value)) return fail(problems, path, expected, value);
      return value;
    },
  };
}

export function ipv6Address(): Schema<string> {
  const expected = 'an IPv6 address';
  return {
    expected,
    check(value, path, problems) {
      if (typeof value !== 'string' || !ipaddr.IPv6.isValid(value)) return fail(problems, path, expected, value);
      return ipaddr.IPv6.parse(value).toString();
    },
  };
}

/** A network in CIDR notation (a bare address means a single host). */
export function cidr(): Schema<string> {
  const expected = 'a network such as 192.168.20.0/24 or fd00::/8';
  return {
    expected,
    check(value, path, problems) {
      if (typeof value !== 'string') return fail(problems, path, expected, value);
      try {
        if (value.includes('/')) {
          const [address, bits] = ipaddr.parseCIDR(value);
          return `${address.toString()}/${bits}`;
        }
        const address = ipaddr.parse(value);
        return `${address.toString()}/${address.kind() === 'ipv4' ? 32 : 128}`;
      } catch {
        return fail(problems, path, expected, value);
      }
    },
  };
}

/** A domain name as written in config: lower-cased, trailing dot removed. */
export function domainName(): Schema<string> {
  const expected = 'a domain name such as time.example.com';
  const label = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
  return {
    expected,
    check(value, path, problems) {
      if (typeof value !== 'string') return fail(problems, path, expected, value);
      const name = value.toLowerCase().replace(/\.$/, '');
      if (name.length === 0 || name.length > 253 || !name.split('.').every((part) => label.test(part))) {
        return fail(problems, path, expected, value);
      }
      return name;
    },
  };
}
