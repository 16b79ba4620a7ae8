import yargs, { type Argv } from 'yargs';
import { CamshimError } from '../errors.js';
import { checkCommand } from './check-command.js';
import { listsCommand } from './lists-command.js';
import { queryCommand } from './query-command.js';
import { reportCommand } from './report-command.js';
import { routerConfigCommand } from './router-config-command.js';
import { serveCommand } from './serve-command.js';
import { VERSION } from '../version.js';


export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Parses argv and runs one command; returns the exit code. Usage errors: one line on stderr, code 2. */
export async function runCli(args: readonly string[]): Promise<number> {
  let run: (() => Promise<number>) | undefined;
  let usageError: string | undefined;
  const setResult = (value: () => Promise<number>): void => { run = value; };
  let parser: Argv = yargs([...args])
    .scriptName('camshim')
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .strict()
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .demandCommand(1, 'a command is required: serve, check, query, lists, report or router-config')
    .recommendCommands()
    .fail((message: string | undefined, error: Error | undefined) => {
      usageError = message ?? error?.message ?? 'invalid command line';
    })
    .exitProcess(false);
  for (const command of [serveCommand, checkCommand, queryCommand, listsCommand, reportCommand, routerConfigCommand]) parser = command.register(parser, setResult);
  try {
    await parser.parseAsync();
  } catch (error) {
    usageError ??= (error as Error).message;
  }
  if (usageError !== undefined) {
    process.stderr.write(`camshim: ${usageError.split('\n')[0]} (see camshim --help)\n`);
    return EXIT_USAGE;
  }
  if (run === undefined) return EXIT_OK; // --help or --version
  try {
    return await run();
  } catch (error) {
    process.stderr.write(`camshim: ${describeError(error)}\n`);
    return error instanceof CamshimError && error.code === 'CLI_USAGE' ? EXIT_USAGE : EXIT_FAILURE;
  }
}

export function describeError(error: unknown): string {
  if (error instanceof CamshimError) return error.message;
  return error instanceof Error ? `${error.message}` : String(error);
}
