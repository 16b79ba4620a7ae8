import yargsParser from 'yargs-parser';
import type { OptionSpecs, ParsedOptions } from './option-specs.js';

/**
 * Reads a command's options with yargs' own parser, given the settings yargs gives it for these
 * options, without loading yargs: `serve` is the start that keeps the cameras' DNS down until it
 * answers, and yargs (its commands, help, locale and checks) is a measurable part of that start.
 *
 * Only a command line that is plainly right is read here: each word an option this command
 * declares with a value that is not empty, a single option given once. Anything else (help,
 * version, an unknown option, a positional word, `--`, a value left out, a repeated single
 * option, `--no-...`) returns undefined and the caller hands the command line to yargs, which
 * reads it, or rejects it with its usual message, as it does for every other command.
 */
export function quickParse<S extends OptionSpecs>(args: readonly string[], specs: S): ParsedOptions<S> | undefined {
  if (args.includes('--')) return undefined;
  const names = Object.keys(specs);
  const aliases: Record<string, string> = {};
  for (const name of names) { const alias = specs[name]!.alias; if (alias !== undefined) aliases[name] = alias; }
  const parsed = yargsParser.detailed([...args], {
    string: names,
    array: names.filter((name) => specs[name]!.array === true),
    alias: aliases,
    // requiresArg, as yargs passes it on.
    narg: Object.fromEntries(names.map((name) => [name, 1])),
    configuration: { 'parse-positional-numbers': false },
  });
  if (parsed.error !== null) return undefined;
  const { _: positional, ...given } = parsed.argv;
  if (positional.length > 0) return undefined;
  // yargs-parser also sets each value under its aliases and camelCase forms; anything else was not declared.
  const known = new Set(names.flatMap((name) => [name, ...(parsed.aliases[name] ?? [])]));
  if (Object.keys(given).some((key) => !known.has(key))) return undefined;
  const options: Record<string, string | string[]> = {};
  for (const name of names) {
    const value: unknown = given[name];
    if (value === undefined) continue;
    const wellFormed = specs[name]!.array === true
      ? Array.isArray(value) && value.length > 0 && value.every(isText)
      : isText(value);
    if (!wellFormed) return undefined;
    options[name] = value as string | string[];
  }
  return options as ParsedOptions<S>;
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}
