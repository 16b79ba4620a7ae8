/**
 * The log's documentation keeps up with the code: every event a camshim line can carry is named
 * in the schema module (checked against the `event:` fields written in src/), and
 * docs/log-events.md shows each with an example line that parses, has the common fields, and
 * reads in `camshim report`'s parser as what it is.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { DEBUG_QUERY_EVENT_NAMES, LOG_EVENT_NAMES, LOG_SCHEMA_VERSION, QUERY_EVENT_NAMES } from '../../src/log/log-schema.js';
import { parseEvent } from '../../src/report/parse-event.js';
import { PROJECT_ROOT } from '../helpers/daemon.js';

const DOC = path.join(PROJECT_ROOT, 'docs/log-events.md');

/**
 * Event fields whose value is not a literal, and the names each can take. A new one fails the
 * test until its names are in the schema module and here.
 */
const DYNAMIC_EVENTS: Record<string, readonly string[]> = {
  'record.kind': QUERY_EVENT_NAMES,
  'answer.kind': DEBUG_QUERY_EVENT_NAMES,
};

/** The `event:` fields of object literals in src/ (type annotations such as `on(event: 'drop')` are not). src/report reads logs and writes none; src/dashboard adds decisions up for its page and writes none. */
function eventsInSource(): { literal: Map<string, string>; dynamic: Map<string, string> } {
  const literal = new Map<string, string>();
  const dynamic = new Map<string, string>();
  const srcDir = path.join(PROJECT_ROOT, 'src');
  for (const file of readdirSync(srcDir, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.ts') || file.endsWith('.d.ts') || file.startsWith(`report${path.sep}`) || file.startsWith(`dashboard${path.sep}`)) continue;
    const text = readFileSync(path.join(srcDir, file), 'utf8');
    for (const match of text.matchAll(/(?:^|[{,])[ \t]*event: '([^']+)'/gm)) literal.set(match[1]!, file);
    for (const match of text.matchAll(/(?:^|[{,])[ \t]*event: ([A-Za-z_][\w.]*)\s*[,}]/gm)) dynamic.set(match[1]!, file);
  }
  return { literal, dynamic };
}

/** Every line of every ```json block in the page. */
function exampleLines(): string[] {
  const lines: string[] = [];
  for (const block of readFileSync(DOC, 'utf8').matchAll(/^```json\n([\s\S]*?)^```$/gm)) {
    lines.push(...block[1]!.split('\n').filter((line) => line.trim() !== ''));
  }
  return lines;
}

test('every event written in src/ is named in the schema module', () => {
  const { literal, dynamic } = eventsInSource();
  assert.ok(literal.size >= 20, `only ${literal.size} literal events found: the scan is broken`);
  const known = new Set(LOG_EVENT_NAMES);
  for (const [name, file] of literal) assert.ok(known.has(name), `src/${file} writes event "${name}", which src/log/log-schema.ts does not name`);
  for (const [expression, file] of dynamic) {
    const names = DYNAMIC_EVENTS[expression];
    assert.ok(names !== undefined, `src/${file} writes event: ${expression}: add the names it takes to the schema module and to DYNAMIC_EVENTS here`);
    for (const name of names) assert.ok(known.has(name), `event "${name}" (from ${expression}) is not in LOG_EVENT_NAMES`);
  }
  assert.deepEqual([...dynamic.keys()].sort(), Object.keys(DYNAMIC_EVENTS).sort(), 'every dynamic event field is still written');
});

test('docs/log-events.md shows every event with an example line, and nothing else', () => {
  const documented = new Set<string>();
  for (const line of exampleLines()) {
    let fields: Record<string, unknown>;
    try { fields = JSON.parse(line) as Record<string, unknown>; } catch (error) { assert.fail(`an example is not JSON (${(error as Error).message}): ${line}`); }
    assert.equal(typeof fields.level, 'number', line);
    assert.ok(typeof fields.time === 'string' && Number.isFinite(Date.parse(fields.time)), `time: ${line}`);
    assert.equal(fields.service, 'camshim', line);
    assert.equal(fields.v, LOG_SCHEMA_VERSION, line);
    assert.equal(typeof fields.msg, 'string', line);
    assert.equal(typeof fields.event, 'string', line);
    documented.add(fields.event as string);
  }
  const missing = LOG_EVENT_NAMES.filter((name) => !documented.has(name));
  assert.deepEqual(missing, [], `events with no example line in docs/log-events.md: ${missing.join(', ')}`);
  const unknown = [...documented].filter((name) => !LOG_EVENT_NAMES.includes(name));
  assert.deepEqual(unknown, [], `docs/log-events.md shows events camshim does not write: ${unknown.join(', ')}`);
});

test('each example reads in camshim report\'s parser as what it is', () => {
  const queryEvents = new Set<string>(QUERY_EVENT_NAMES);
  for (const line of exampleLines()) {
    const fields = JSON.parse(line) as Record<string, unknown>;
    const event = fields.event as string;
    const record = parseEvent(line);
    if (queryEvents.has(event)) {
      assert.ok(typeof record !== 'string' && record.kind === 'query', `${event}: ${String(record)}`);
      assert.deepEqual([record.event, record.count, record.client, record.name], [event, 1, fields.client, fields.name]);
    } else if (event === 'storm') {
      assert.ok(typeof record !== 'string' && record.kind === 'query', `storm: ${String(record)}`);
      assert.deepEqual([record.event, record.count, record.timeMs, record.lastMs], [fields.of, fields.count, Date.parse(fields.first as string), Date.parse(fields.last as string)]);
    } else if (event === 'ntp-client' || event === 'ntp-clock') {
      assert.ok(typeof record !== 'string' && record.kind === event, `${event}: ${String(record)}`);
    } else {
      // The report counts the daemon's other lines as skipped, never as damaged input.
      assert.equal(record, 'other-event', line);
    }
  }
});

test('the README links the page from its log section', () => {
  assert.match(readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8'), /\]\(docs\/log-events\.md\)/);
});
