/**
 * The config file's YAML: parsed with positions, so a syntax problem names file, line and
 * column. Kept apart from load-config so that the YAML library is loaded only when a file is read.
 */
import { parseDocument } from 'yaml';
import { CamshimError, formatProblem, type Problem } from '../errors.js';
import type { Config } from './config-schema.js';
import { checkedConfig, type LoadOptions } from './validate-config.js';

/** Parses YAML text into a plain document. Throws CONFIG_YAML naming file, line and column. */
export function parseYaml(text: string, file: string): unknown {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    const problems: Problem[] = document.errors.map((error) => {
      const position = error.linePos?.[0];
      return {
        code: 'CONFIG_YAML', file,
        ...(position === undefined ? {} : { line: position.line, column: position.col }),
        message: yamlMessage(error.message),
      };
    });
    throw new CamshimError('CONFIG_YAML', problems.map(formatProblem).join('\n'), { file, problems });
  }
  try {
    return document.toJS();
  } catch (error) {
    // An alias to no anchor, or an alias bomb past maxAliasCount: the yaml library throws a plain error here.
    const problem: Problem = { code: 'CONFIG_YAML', file, message: yamlMessage((error as Error).message) };
    throw new CamshimError('CONFIG_YAML', formatProblem(problem), { file, problems: [problem] }, { cause: error });
  }
}

/** The yaml library's first line, without its " at line L, column C:" tail: the position is printed as file:line:column. */
function yamlMessage(message: string): string {
  const first = (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?\s*$/, '').replace(/[:\s]+$/, '');
  return first === '' ? 'unreadable YAML' : first;
}

/** Parses YAML text and validates it (no flags). Throws CamshimError (CONFIG_YAML or CONFIG_INVALID) with every problem listed. */
export function parseConfigText(text: string, file: string, options: LoadOptions = {}): Config {
  return checkedConfig(parseYaml(text, file), file, {}, options);
}

