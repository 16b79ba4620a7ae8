/**
 * Checking a parsed document against the one schema: every problem at once, each with its
 * dotted path (and the flag it came from, when a flag wrote it), and the frozen result.
 */
import type * as z from 'zod/mini';
import { CamshimError, formatProblem, type Problem } from '../errors.js';
import { configSchema, makeConfigSchema, type Config } from './config-schema.js';
import { deepFreeze } from './deep-freeze.js';
import { applyOverrides, flagOf, type ConfigOverrides } from './overrides.js';

export interface LoadOptions {
  /**
   * Lets port 0 through as "any free port" (the bound port is in the start log line). Only the
   * test suite asks for it (CAMSHIM_TEST_EPHEMERAL_PORTS=1), so tests can run side by side.
   */
  readonly ephemeralPorts?: boolean;
}

/** Built on first use: only the test suite asks for it, and building a schema is part of every start. */
let ephemeralSchema: ReturnType<typeof makeConfigSchema> | undefined;

/** Validates a parsed document (flags already written in); every problem at once, each with its dotted path. */
export function validateConfig(document: unknown, file?: string, options: LoadOptions = {}): { config: Config | undefined; problems: Problem[] } {
  const schema = options.ephemeralPorts === true ? (ephemeralSchema ??= makeConfigSchema({ ephemeralPorts: true })) : configSchema;
  const result = schema.safeParse(withoutNulls(document) ?? {});
  if (result.success) return { config: deepFreeze(result.data), problems: [] };
  const problems = result.error.issues.flatMap(problemsOf);
  return { config: undefined, problems: file === undefined ? problems : problems.map((p) => ({ ...p, file, message: `${p.path}: ${p.message}` })) };
}

/**
 * A key written with no value (`dns:` on a line of its own) means "the defaults", as if it
 * were not there; YAML reads it as null.
 */
function withoutNulls(value: unknown): unknown {
  if (value === null) return undefined;
  if (Array.isArray(value)) return value.map((item) => (item === null ? null : withoutNulls(item)));
  if (typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== null).map(([key, item]) => [key, withoutNulls(item)]));
}

function problemsOf(issue: z.core.$ZodIssue): Problem[] {
  const at = dottedPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ code: 'CONFIG_INVALID', path: at === '' ? key : `${at}.${key}`, message: issue.message }));
  }
  return [{ code: 'CONFIG_INVALID', path: at === '' ? '(top level)' : at, message: issue.message }];
}

function dottedPath(parts: readonly PropertyKey[]): string {
  let out = '';
  for (const part of parts) out += typeof part === 'number' ? `[${part}]` : out === '' ? String(part) : `.${String(part)}`;
  return out;
}

/** Writes the flags in, validates, and throws with every problem; a problem in a flag's value names the flag. */
export function checkedConfig(document: unknown, file: string | undefined, overrides: ConfigOverrides, options: LoadOptions): Config {
  const { document: merged, origins } = applyOverrides(withoutNulls(document) ?? {}, overrides);
  const { config, problems } = validateConfig(merged, undefined, options);
  if (config !== undefined) return config;
  const located = problems.map((problem): Problem => {
    const flag = flagOf(problem.path ?? '', origins);
    if (flag !== undefined) return { code: 'CLI_USAGE', path: flag, message: problem.message };
    return file === undefined ? problem : { ...problem, file, message: `${problem.path}: ${problem.message}` };
  });
  const fromFlags = located.filter((problem) => problem.code === 'CLI_USAGE');
  // A bad flag is a usage error (exit code 2) and is said in one line, as yargs says its own.
  const text = [...fromFlags.map((p) => `${p.path}: ${p.message}`), ...located.filter((p) => p.code !== 'CLI_USAGE').map(formatProblem)].join('\n');
  throw new CamshimError(fromFlags.length > 0 ? 'CLI_USAGE' : 'CONFIG_INVALID', text, { ...(file === undefined ? {} : { file }), problems: located });
}

/** The embedded defaults: what `camshim serve` runs with when no config file is given. */
export function defaultConfig(): Config {
  return configFrom({});
}

/** A config from a plain object (as a parsed file would give), defaults filled in; throws on any problem. */
export function configFrom(input: unknown): Config {
  const { config, problems } = validateConfig(input);
  if (config === undefined) throw new CamshimError('CONFIG_INVALID', problems.map(formatProblem).join('\n'), { problems });
  return config;
}
