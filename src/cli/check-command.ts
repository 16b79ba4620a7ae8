import { prepareState } from '../app.js';
import { formatProblem } from '../errors.js';
import { withConfigOption } from './common-options.js';
import type { CommandModule } from './run-cli.js';

export const checkCommand: CommandModule = {
  register(argv, setResult) {
    return argv.command('check', 'validate the config and every list; print every problem with its file and line', (command) => withConfigOption(command),
      (args) => setResult(() => check(args.config)));
  },
};

async function check(configFile: string | undefined): Promise<number> {
  const { lists, problems } = await prepareState(configFile, {}, 1);
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
