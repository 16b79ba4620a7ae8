import './zod-setup.js';
import * as z from 'zod/mini';
import { configSchema } from './config-schema.js';

/**
 * The config file's JSON Schema, made from the same schema that validates it, for editors
 * (`# yaml-language-server: $schema=...` in camshim.yaml). It describes what a user writes:
 * every key optional where a default exists, addresses as strings. Draft 7, which the YAML
 * language server and most editors read.
 */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: 'input', target: 'draft-7' }),
    title: 'camshim configuration',
    description: 'camshim.yaml: DNS sinkhole and NTP responder for a camera VLAN. Check a file with: camshim check --config FILE',
  };
}
