import { prepareState } from '../app.js';
import { loadConfig } from '../config/load-config.js';
import { CamshimError, formatProblem, type Problem } from '../errors.js';
import type { ConfigOverrides } from '../config/overrides.js';
import { listOverrides, withConfigOption, withListOptions } from './common-options.js';
import type { CommandModule } from './command-module.js';
import { commandText } from './commands.js';

export const checkCommand: CommandModule = {
  register(argv, setResult) {
    const text = commandText('check');
    return argv.command(text.command, text.describe, (command) => withListOptions(withConfigOption(command)),
      (args) => setResult(() => check(args.config, listOverrides(args))));
  },
};

async function check(configFile: string | undefined, overrides: ConfigOverrides): Promise<number> {
  let prepared;
  try {
    prepared = await prepareState(await loadConfig(configFile, overrides), 1);
  } catch (error) {
    // A config that does not parse or validate: print each problem on its own line.
    const problems = error instanceof CamshimError ? (error.context.problems as Problem[] | undefined) : undefined;
    if (problems === undefined) throw error;
    for (const problem of problems) process.stdout.write(`${formatProblem(problem)}\n`);
    process.stdout.write(`${configFile ?? 'embedded defaults'}: ${problems.length} error(s)\n`);
    return 1;
  }
  const { lists, problems } = prepared;
  for (const warning of lists.warnings) process.stdout.write(`${formatProblem(warning)}\n`);
  for (const problem of problems) process.stdout.write(`${formatProblem(problem)}\n`);
  const source = configFile ?? 'embedded defaults';
  if (problems.length > 0) {
    process.stdout.write(`${source}: ${problems.length} error(s), ${lists.warnings.length} warning(s)\n`);
    return 1;
  }
  process.stdout.write(`${source}: OK — ${lists.lists.length} lists, ${lists.table.ruleCount} rules, ${lists.warnings.length} warning(s)\n`);
  return 0;
}
