import type { Argv } from 'yargs';

/**
 * A yargs module. Its handler only names the work to do; runCli runs it after parsing has
 * fully succeeded, so a failed check never starts anything.
 */
export interface CommandModule {
  register(argv: Argv, setResult: (run: () => Promise<number>) => void): Argv;
}
