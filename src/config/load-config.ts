import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CamshimError } from '../errors.js';
import type { Config } from './config-schema.js';
import type { ConfigOverrides } from './overrides.js';
import { checkedConfig, type LoadOptions } from './validate-config.js';

export { configFrom, defaultConfig, validateConfig, type LoadOptions } from './validate-config.js';

/**
 * The one way into the config: read the file once, parse YAML, write the command-line flags in,
 * validate all of it against the one schema, and freeze the result. Every module receives this
 * object; nothing re-reads or re-checks it.
 */
export interface LoadedConfig {
  readonly config: Config;
  /** The file it came from, or undefined for the embedded defaults. */
  readonly file: string | undefined;
  /** Where relative list paths are resolved from: the config file's folder, else the working directory. */
  readonly baseDir: string;
}

/** Reads the config file (or takes the embedded defaults), applies the flags, validates and freezes: once per start or reload. */
export async function loadConfig(file: string | undefined, overrides: ConfigOverrides = {}, options: LoadOptions = {}): Promise<LoadedConfig> {
  if (file === undefined) return { config: checkedConfig({}, undefined, overrides, options), file: undefined, baseDir: process.cwd() };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new CamshimError('CONFIG_READ', `cannot read config ${file}: ${reason}`, { file }, { cause: error });
  }
  // The YAML library is camshim's largest module: loaded only when there is a file to parse, so a
  // start on the embedded defaults neither reads nor compiles it.
  const { parseYaml } = await import('./parse-yaml.js');
  return { config: checkedConfig(parseYaml(text, file), file, overrides, options), file, baseDir: path.dirname(path.resolve(file)) };
}

