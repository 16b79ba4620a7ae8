import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { CamshimError, formatProblem, type Problem } from '../errors.js';
import { configSchema, type Config } from './config-schema.js';
import { INVALID } from './schema.js';

export interface LoadedConfig {
  readonly config: Config;
  /** The file it came from, or undefined for the embedded defaults. */
  readonly file: string | undefined;
}

/** Validates a parsed document; every problem at once. */
export function validateConfig(document: unknown, file?: string): { config: Config | undefined; problems: Problem[] } {
  const problems: Problem[] = [];
  const checked = configSchema.check(document, '', problems);
  const located = file === undefined ? problems : problems.map((p) => ({ ...p, file, message: `${p.path}: ${p.message}` }));
  if (checked === INVALID || problems.length > 0) return { config: undefined, problems: located };
  const crossProblems = crossCheck(checked).map((p) => (file === undefined ? p : { ...p, file, message: `${p.path}: ${p.message}` }));
  return crossProblems.length > 0 ? { config: undefined, problems: crossProblems } : { config: checked, problems: [] };
}

/** Rules spanning sections, which a per-field schema cannot see. */
function crossCheck(config: Config): Problem[] {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  config.groups.forEach((group, index) => {
    if (seen.has(group.name) || group.name === 'default') {
      problems.push({ code: 'CONFIG_INVALID', path: `groups[${index}].name`, message: `group name "${group.name}" is used twice (or is the reserved "default")` });
    }
    seen.add(group.name);
  });
  return problems;
}

/** Parses YAML text and validates it. Throws CamshimError (CONFIG_YAML or CONFIG_INVALID) with every problem listed, and nothing else. */
export function parseConfigText(text: string, file: string): Config {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    const problems: Problem[] = document.errors.map((error) => ({
      code: 'CONFIG_YAML', file, line: error.linePos?.[0]?.line, message: error.message.split('\n')[0] ?? error.message,
    } as Problem));
    throw new CamshimError('CONFIG_YAML', problems.map(formatProblem).join('\n'), { file, problems });
  }
  let value: unknown;
  try {
    value = document.toJS();
  } catch (error) {
    // An alias to no anchor, or an alias bomb past maxAliasCount: the yaml library throws a plain error here.
    const problem: Problem = { code: 'CONFIG_YAML', file, message: (error as Error).message.split('\n')[0] ?? 'unreadable YAML' };
    throw new CamshimError('CONFIG_YAML', formatProblem(problem), { file, problems: [problem] }, { cause: error });
  }
  const { config, problems } = validateConfig(value ?? {}, file);
  if (config === undefined) {
    throw new CamshimError('CONFIG_INVALID', problems.map(formatProblem).join('\n'), { file, problems });
  }
  return config;
}

export async function loadConfig(file: string | undefined): Promise<LoadedConfig> {
  if (file === undefined) return { config: defaultConfig(), file: undefined };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new CamshimError('CONFIG_READ', `cannot read config ${file}: ${reason}`, { file }, { cause: error });
  }
  return { config: parseConfigText(text, file), file };
}

/** The embedded defaults: what `camshim serve` runs with when no config file is given. */
export function defaultConfig(): Config {
  const { config, problems } = validateConfig({});
  if (config === undefined) throw new Error(`embedded defaults are invalid: ${problems.map(formatProblem).join('; ')}`);
  return config;
}
