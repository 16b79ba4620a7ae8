import { configSchema, type Config } from '../../src/config/config-schema.js';
import type { Problem } from '../../src/errors.js';

/** A full config from a partial object, through the real schema (defaults included). */
export function parseConfig(input: Record<string, unknown>): Config {
  const problems: Problem[] = [];
  const config = configSchema.check(input, '', problems);
  if (problems.length > 0 || typeof config === 'symbol') throw new Error(JSON.stringify(problems));
  return config;
}
