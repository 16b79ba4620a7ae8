import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type * as z from 'zod';
import { CamshimError, formatProblem, type Problem } from '../errors.js';
import { configSchema, makeConfigSchema, type Config } from './config-schema.js';
import { deepFreeze } from './deep-freeze.js';
import { applyOverrides, flagOf, type ConfigOverrides } from './overrides.js';

/**
 * The one way into the config: read the file once, parse YAML, write the command-line flags in,
 * validate all of it against the one schema, and freeze the result. Every module receives this
 * object; nothing re-reads or re-checks it.
 */
export interface LoadedConfig {
  readonly config: Config;
  /** The file it came from, or undefined for the embedded defaults. */
  readonly file: string | undefined;
  /** Where relative list paths are resolved from: the config file's folder, else the working directory. */
  readonly baseDir: string;
}

export interface LoadOptions {
  /**
   * Lets port 0 through as "any free port" (the bound port is in the start log line). Only the
   * test suite asks for it (CAMSHIM_TEST_EPHEMERAL_PORTS=1), so tests can run side by side.
   */
  readonly ephemeralPorts?: boolean;
}

const ephemeralSchema = makeConfigSchema({ ephemeralPorts: true });

/** Validates a parsed document (flags already written in); every problem at once, each with its dotted path. */
export function validateConfig(document: unknown, file?: string, options: LoadOptions = {}): { config: Config | undefined; problems: Problem[] } {
  const schema = options.ephemeralPorts === true ? ephemeralSchema : configSchema;
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

/** Parses YAML text into a plain document. Throws CONFIG_YAML naming file, line and column. */
function parseYaml(text: string, file: string): unknown {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    const problems: Problem[] = document.errors.map((error) => {
      const position = error.linePos?.[0];
      return {
        code: 'CONFIG_YAML', file,
        ...(position === undefined ? {} : { line: position.line, column: position.col }),
        message: yamlMessage(error.message),
      };
    });
    throw new CamshimError('CONFIG_YAML', problems.map(formatProblem).join('\n'), { file, problems });
  }
  try {
    return document.toJS();
  } catch (error) {
    // An alias to no anchor, or an alias bomb past maxAliasCount: the yaml library throws a plain error here.
    const problem: Problem = { code: 'CONFIG_YAML', file, message: yamlMessage((error as Error).message) };
    throw new CamshimError('CONFIG_YAML', formatProblem(problem), { file, problems: [problem] }, { cause: error });
  }
}

/** The yaml library's first line, without its " at line L, column C:" tail: the position is printed as file:line:column. */
function yamlMessage(message: string): string {
  const first = (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?\s*$/, '').replace(/[:\s]+$/, '');
  return first === '' ? 'unreadable YAML' : first;
}

/** Parses YAML text and validates it (no flags). Throws CamshimError (CONFIG_YAML or CONFIG_INVALID) with every problem listed. */
export function parseConfigText(text: string, file: string, options: LoadOptions = {}): Config {
  return checked(parseYaml(text, file), file, {}, options);
}

/** Writes the flags in, validates, and throws with every problem; a problem in a flag's value names the flag. */
function checked(document: unknown, file: string | undefined, overrides: ConfigOverrides, options: LoadOptions): Config {
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

/** Reads the config file (or takes the embedded defaults), applies the flags, validates and freezes: once per start or reload. */
export async function loadConfig(file: string | undefined, overrides: ConfigOverrides = {}, options: LoadOptions = {}): Promise<LoadedConfig> {
  if (file === undefined) return { config: checked({}, undefined, overrides, options), file: undefined, baseDir: process.cwd() };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new CamshimError('CONFIG_READ', `cannot read config ${file}: ${reason}`, { file }, { cause: error });
  }
  return { config: checked(parseYaml(text, file), file, overrides, options), file, baseDir: path.dirname(path.resolve(file)) };
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
