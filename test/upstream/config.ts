import type { Config } from '../../src/config/config-schema.js';
import { configFrom } from '../../src/config/load-config.js';

/** A full config from a partial object, through the real schema (defaults included). */
export function parseConfig(input: Record<string, unknown>): Config {
  return configFrom(input);
}
