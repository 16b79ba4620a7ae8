import { DEFAULT_STATE_DIR } from '../config/config-schema.js';

/**
 * One command-line option as camshim declares it. Every option takes one text value (the config
 * schema checks it, naming the flag); some may be given more than once.
 */
export interface OptionSpec {
  readonly describe: string;
  readonly array?: true;
  readonly alias?: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** What a command line gives for each declared option: absent, one text, or every text given. */
export type ParsedOptions<S extends OptionSpecs> = { -readonly [K in keyof S]?: S[K] extends { readonly array: true } ? string[] : string };

/** `--config FILE`, shared by every command that reads the config. */
export const CONFIG_OPTIONS = {
  config: { alias: 'c', describe: 'YAML config file (default: the embedded defaults)' },
} as const satisfies OptionSpecs;

/** `--blocklist FILE|URL` and `--state-dir DIR`, for every command that loads the lists. */
export const LIST_OPTIONS = {
  blocklist: { array: true, describe: 'extra blocklist: a file, a folder or an http(s) URL (repeatable)' },
  'state-dir': { describe: `where downloaded lists are kept (default ${DEFAULT_STATE_DIR})` },
} as const satisfies OptionSpecs;

/** The same options as yargs declares them: text, with a value required. */
export function yargsOptions(specs: OptionSpecs): Record<string, { type: 'string'; requiresArg: true; describe: string; array?: true; alias?: string }> {
  return Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, {
    type: 'string' as const, requiresArg: true as const, describe: spec.describe,
    ...(spec.array === undefined ? {} : { array: spec.array }),
    ...(spec.alias === undefined ? {} : { alias: spec.alias }),
  }]));
}

/** The declared options out of a parsed command line (yargs adds aliases, camelCase forms, `_` and `$0`). */
export function pickOptions<S extends OptionSpecs>(argv: Readonly<Record<string, unknown>>, specs: S): ParsedOptions<S> {
  const picked: Record<string, unknown> = {};
  for (const name of Object.keys(specs)) if (argv[name] !== undefined) picked[name] = argv[name];
  return picked as ParsedOptions<S>;
}
