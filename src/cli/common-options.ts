import path from 'node:path';
import type { Argv } from 'yargs';
import type { ConfigOverrides } from '../config/overrides.js';
import { CONFIG_OPTIONS, LIST_OPTIONS, yargsOptions } from './option-specs.js';

/** `--config FILE`, shared by every command that reads the config. */
export function withConfigOption<T>(argv: Argv<T>): Argv<T & { config: string | undefined }> {
  return argv.options(yargsOptions(CONFIG_OPTIONS)) as unknown as Argv<T & { config: string | undefined }>;
}

/** `--blocklist FILE|URL` and `--state-dir DIR`, for every command that loads the lists. */
export function withListOptions<T>(argv: Argv<T>): Argv<T & { blocklist: string[] | undefined; 'state-dir': string | undefined }> {
  return argv.options(yargsOptions(LIST_OPTIONS)) as unknown as Argv<T & { blocklist: string[] | undefined; 'state-dir': string | undefined }>;
}

/** The config overrides those two options make. */
export function listOverrides(args: { blocklist?: string[] | undefined; 'state-dir'?: string | undefined }): ConfigOverrides {
  return {
    // A path typed on the command line is relative to where it was typed, not to the config file.
    ...(args.blocklist === undefined ? {} : { blocklists: args.blocklist.map((file) => (/^https?:\/\//i.test(file) ? file : path.resolve(file))) }),
    ...(args['state-dir'] === undefined ? {} : { stateDir: path.resolve(args['state-dir']) }),
  };
}
