import type { Argv } from 'yargs';

/** `--config FILE`, shared by every command that reads the config. */
export function withConfigOption<T>(argv: Argv<T>): Argv<T & { config: string | undefined }> {
  return argv.option('config', {
    alias: 'c', type: 'string', requiresArg: true,
    describe: 'YAML config file (default: the embedded defaults)',
  }) as Argv<T & { config: string | undefined }>;
}
