/**
 * camshim.schema.json (shipped in the package, referenced by the example config) is made from
 * the config schema. This test fails when the two differ; to regenerate the file:
 * `npm run schema` (CAMSHIM_WRITE_SCHEMA=1 makes this test write it instead of comparing).
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { configJsonSchema } from '../../src/config/json-schema.js';
import { PROJECT_ROOT } from '../helpers/daemon.js';

const SCHEMA_FILE = path.join(PROJECT_ROOT, 'camshim.schema.json');
const generated = `${JSON.stringify(configJsonSchema(), null, 2)}\n`;

test('camshim.schema.json is the JSON Schema of the config schema (npm run schema regenerates it)', async () => {
  if (process.env.CAMSHIM_WRITE_SCHEMA === '1') await writeFile(SCHEMA_FILE, generated);
  assert.equal(await readFile(SCHEMA_FILE, 'utf8'), generated, 'camshim.schema.json is out of date: run npm run schema');
});

test('the JSON Schema describes what a user writes: defaults, ranges, choices, no unknown keys', () => {
  const schema = JSON.parse(generated) as { properties: Record<string, { properties: Record<string, Record<string, unknown>>; additionalProperties: boolean }>; additionalProperties: boolean };
  assert.equal(schema.additionalProperties, false);
  const dns = schema.properties.dns!;
  assert.equal(dns.additionalProperties, false);
  assert.deepEqual([dns.properties.port!.minimum, dns.properties.port!.maximum, dns.properties.port!.default], [1, 65535, 53]);
  assert.equal(dns.properties.ednsPayload!.default, 1232);
  assert.deepEqual(schema.properties.log!.properties.level!.enum, ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
  assert.equal(schema.properties.ntp!.properties.port!.minimum, 0);
  // DNS and NTP rate limits have one shape.
  const keys = (section: string): string[] => Object.keys((schema.properties[section]!.properties.rateLimit as { properties: object }).properties).sort();
  assert.deepEqual(keys('dns'), keys('ntp'));
});

test('the example config names the schema for editors', async () => {
  const text = await readFile(path.join(PROJECT_ROOT, 'docs/camera-vlan.yaml'), 'utf8');
  const reference = /^# yaml-language-server: \$schema=(\S+)$/m.exec(text);
  assert.ok(reference !== null, 'docs/camera-vlan.yaml has no yaml-language-server $schema line');
  assert.equal(path.resolve(PROJECT_ROOT, 'docs', reference[1]!), SCHEMA_FILE);
  assert.ok(parse(text) !== null);
});

test('package.json ships the schema file', async () => {
  const pkg = JSON.parse(await readFile(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { files: string[] };
  assert.ok(pkg.files.includes('camshim.schema.json'));
});
