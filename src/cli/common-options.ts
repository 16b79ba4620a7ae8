import path from 'node:path';
import type { Argv } from 'yargs';
import { DEFAULT_STATE_DIR } from '../config/config-schema.js';
import type { ConfigOverrides } from '../config/overrides.js';

/** `--config FILE`, shared by every command that reads the config. */
export function withConfigOption<T>(argv: Argv<T>): Argv<T & { config: string | undefined }> {
  return argv.option('config', {
    alias: 'c', type: 'string', requiresArg: true,
    describe: 'YAML config file (default: the embedded defaults)',
  }) as Argv<T & { config: string | undefined }>;
}

/** `--blocklist FILE|URL` and `--state-dir DIR`, for every command that loads the lists. */
export function withListOptions<T>(argv: Argv<T>): Argv<T & { blocklist: string[] | undefined; 'state-dir': string | undefined }> {
  return argv
    .option('blocklist', { type: 'string', array: true, requiresArg: true, describe: 'extra blocklist: a file, a folder or an http(s) URL (repeatable)' })
    .option('state-dir', { type: 'string', requiresArg: true, describe: `where downloaded lists are kept (default ${DEFAULT_STATE_DIR})` }) as
    Argv<T & { blocklist: string[] | undefined; 'state-dir': string | undefined }>;
}

/** The config overrides those two options make. */
export function listOverrides(args: { blocklist?: string[] | undefined; 'state-dir'?: string | undefined }): ConfigOverrides {
  return {
    // A path typed on the command line is relative to where it was typed, not to the config file.
    ...(args.blocklist === undefined ? {} : { blocklists: args.blocklist.map((file) => (/^https?:\/\//i.test(file) ? file : path.resolve(file))) }),
    ...(args['state-dir'] === undefined ? {} : { stateDir: path.resolve(args['state-dir']) }),
  };
}
