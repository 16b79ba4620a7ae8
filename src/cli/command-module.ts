import type { Argv } from 'yargs';

/**
 * A yargs module. Its handler only names the work to do; runCli runs it after parsing has
 * fully succeeded, so a failed check never starts anything.
 */
export interface CommandModule {
  register(argv: Argv, setResult: (run: () => Promise<number>) => void): Argv;
  /**
   * The command's run for the words after its name, read without yargs (quick-parse.ts), or
   * undefined to leave them to yargs. Only `serve` has one: its start is the one that keeps the
   * cameras' DNS down.
   */
  quick?(args: readonly string[]): (() => Promise<number>) | undefined;
}
