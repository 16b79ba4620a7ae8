import type { Argv } from 'yargs';
import { CamshimError } from '../errors.js';
import type { CommandModule } from './command-module.js';
import { COMMANDS, type CommandName } from './commands.js';
import { VERSION } from '../version.js';
import { holdYoungGeneration } from '../service/young-generation.js';


export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/**
 * Each command's module, loaded only when that command runs (or when the command line names
 * none, for help and suggestions): a daemon restart then loads the daemon's code and no other.
 */
const LOADERS: Record<CommandName, () => Promise<CommandModule>> = {
  serve: async () => (await import('./serve-command.js')).serveCommand,
  check: async () => (await import('./check-command.js')).checkCommand,
  query: async () => (await import('./query-command.js')).queryCommand,
  lists: async () => (await import('./lists-command.js')).listsCommand,
  report: async () => (await import('./report-command.js')).reportCommand,
  'router-config': async () => (await import('./router-config-command.js')).routerConfigCommand,
};

/**
 * The command the command line names, when it starts with one (as every documented use does).
 * Options before the command could take a command's name as their value, so then none is assumed.
 */
function namedCommand(args: readonly string[]): CommandName | undefined {
  return COMMANDS.find((entry) => entry.name === args[0])?.name;
}

/**
 * yargs lays out a command's whole help text after running its handler, in case the handler
 * asks for it; no camshim handler does, and for `serve` that layout is a measurable part of the
 * start. Skipped through yargs' internal usage object when it has the expected shape; help that
 * is printed (--help, a usage error) is laid out when printed, as before.
 */
function skipHelpCache(parser: Argv): void {
  const internals = parser as unknown as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } };
  const usage = internals.getInternalMethods?.().getUsageInstance?.();
  if (usage !== undefined && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => undefined;
}

/** What reading the command line came to: the command's run, or an exit code (help, version, a usage error). */
type Parsed = { readonly run: () => Promise<number> } | { readonly exitCode: number };

/**
 * Parses argv and runs one command; returns the exit code. Usage errors: one line on stderr, code 2.
 * A command with a quick reading (`serve`) is run without yargs when its command line is plainly
 * right; every other command line goes through yargs.
 */
export async function runCli(args: readonly string[]): Promise<number> {
  const named = namedCommand(args);
  // Before the daemon's modules are loaded: see young-generation.ts (serve lets go once it serves).
  if (named === 'serve') await holdYoungGeneration();
  const quick = named === undefined ? undefined : (await LOADERS[named]()).quick?.(args.slice(1));
  const parsed: Parsed = quick === undefined ? await parseWithYargs(args, named) : { run: quick };
  if (!('run' in parsed)) return parsed.exitCode;
  try {
    return await parsed.run();
  } catch (error) {
    process.stderr.write(`camshim: ${describeError(error)}\n`);
    return error instanceof CamshimError && error.code === 'CLI_USAGE' ? EXIT_USAGE : EXIT_FAILURE;
  }
}

/**
 * yargs with camshim's settings for every command line, before any command is added; a failed
 * parse is given to `onFail` (yargs does not exit). Loaded here, on first use: a daemon start
 * that quick-parse.ts reads never loads yargs.
 */
export async function baseParser(args: readonly string[], onFail: (message: string) => void): Promise<Argv> {
  const { default: yargs } = await import('yargs');
  return yargs([...args])
    .scriptName('camshim')
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .strict()
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .demandCommand(1, 'a command is required: serve, check, query, lists, report or router-config')
    .recommendCommands()
    .fail((message: string | undefined, error: Error | undefined) => {
      onFail(message ?? error?.message ?? 'invalid command line');
    })
    .exitProcess(false);
}

async function parseWithYargs(args: readonly string[], named: CommandName | undefined): Promise<Parsed> {
  let run: (() => Promise<number>) | undefined;
  let usageError: string | undefined;
  const setResult = (value: () => Promise<number>): void => { run = value; };
  let parser = await baseParser(args, (message) => { usageError = message; });
  for (const entry of COMMANDS) {
    // The others are listed (help, suggestions) but cannot run: the command line names another.
    if (named !== undefined && entry.name !== named) parser = parser.command(entry.command, entry.describe);
    else parser = (await LOADERS[entry.name]()).register(parser, setResult);
  }
  skipHelpCache(parser);
  try {
    await parser.parseAsync();
  } catch (error) {
    usageError ??= (error as Error).message;
  }
  if (usageError !== undefined) {
    process.stderr.write(`camshim: ${usageError.split('\n')[0]} (see camshim --help)\n`);
    return { exitCode: EXIT_USAGE };
  }
  // --help or --version
  return run === undefined ? { exitCode: EXIT_OK } : { run };
}

export function describeError(error: unknown): string {
  if (error instanceof CamshimError) return error.message;
  return error instanceof Error ? `${error.message}` : String(error);
}
