import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadListSet } from '../../src/lists/list-set.js';
import { defaultConfig } from '../../src/config/load-config.js';
import { parseList } from '../helpers/reference-parse-list.js';
import { PROJECT_ROOT, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';

/**
 * A loopback source address not used before in this file: the sinkhole log collapses a client's
 * repeats of a name into one storm line per window, and these tests read each query's own line.
 */
let clients = 0;
function freshClient(): string {
  clients++;
  return `127.0.${1 + (clients >> 8)}.${clients & 255}`;
}

const LISTS_DIR = path.join(PROJECT_ROOT, 'lists');

async function shippedFiles(): Promise<string[]> {
  return (await readdir(LISTS_DIR)).filter((name) => name.endsWith('.list') || name === 'ntp-hosts' || name === 'never-block').sort();
}

test('every shipped list loads with zero errors, zero warnings and zero never-block violations', async () => {
  const lists = await loadListSet(defaultConfig(), { bundledDir: LISTS_DIR });
  assert.deepEqual(lists.errors, []);
  assert.deepEqual(lists.warnings, []);
  const vendorFiles = (await shippedFiles()).filter((name) => name.endsWith('.list'));
  assert.ok(vendorFiles.length >= 15, `${vendorFiles.length} vendor files`);
  for (const list of lists.lists) assert.ok(list.entryCount > 0, `${list.name} is empty`);
});

test('every vendor file has a header (vendor, covers, updated) and every entry a purpose and a source', async () => {
  for (const file of await shippedFiles()) {
    const text = await readFile(path.join(LISTS_DIR, file), 'utf8');
    const parsed = parseList(text, file, 'block');
    if (file.endsWith('.list')) {
      assert.ok(parsed.meta.vendor, `${file}: no "# vendor:" header`);
      assert.ok(parsed.meta.covers, `${file}: no "# covers:" header`);
      assert.match(parsed.meta.updated ?? '', /^\d{4}-\d{2}-\d{2}$/, `${file}: no "# updated: YYYY-MM-DD" header`);
    }
    const lines = text.split('\n');
    for (const entry of parsed.entries) {
      const line = lines[entry.line - 1]!;
      const comment = line.slice(line.indexOf('#') + 1);
      assert.ok(line.includes('#'), `${file}:${entry.line}: entry without a comment`);
      // never-block lines say what the shared infrastructure is; list entries also say where the evidence is.
      if (file === 'never-block') { assert.ok(comment.trim().length > 0, `${file}:${entry.line}: no comment`); continue; }
      assert.match(comment, /source:/i, `${file}:${entry.line}: no "source:" in the comment`);
      assert.ok(comment.trim().length > 20, `${file}:${entry.line}: comment too short to say purpose and source`);
    }
  }
});

test('no name is listed twice, in one file or across files', async () => {
  const seen = new Map<string, string>();
  for (const file of await shippedFiles()) {
    if (file === 'never-block') continue;
    const parsed = parseList(await readFile(path.join(LISTS_DIR, file), 'utf8'), file, 'block');
    for (const entry of parsed.entries) {
      const key = `${entry.scope}:${entry.name}`;
      const where = `${file}:${entry.line}`;
      assert.ok(!seen.has(key), `${entry.name} is in ${seen.get(key)} and ${where}`);
      seen.set(key, where);
    }
  }
});

// Read at load time: node:test needs the family names to declare one test per family.
const SAMPLES = JSON.parse(await readFile(path.join(PROJECT_ROOT, 'test/data/vendor-samples.json'), 'utf8')) as Record<string, string[]>;

describe('sample names of every vendor resolve to NXDOMAIN through the running daemon', () => {
  let daemon: RunningDaemon;
  before(async () => { daemon = await startDaemon(['--listen', '127.0.0.1']); });
  after(async () => { await daemon.stop(); });

  test('every vendor file has at least 2 samples', async () => {
    const vendorFiles = (await shippedFiles()).filter((name) => name.endsWith('.list')).map((name) => name.slice(0, -5));
    for (const vendor of vendorFiles) assert.ok((SAMPLES[vendor] ?? []).length >= 2, `test/data/vendor-samples.json has fewer than 2 names for ${vendor}`);
    for (const vendor of Object.keys(SAMPLES)) assert.ok(vendorFiles.includes(vendor), `test/data/vendor-samples.json names ${vendor}, which is no list file`);
  });

  for (const [vendor, names] of Object.entries(SAMPLES)) {
    test(`${vendor}: its device-side names are sinkholed by ${vendor}.list`, async () => {
      const port = daemon.port('udp', 4);
      for (const name of names) {
        const mark = daemon.logs.length;
        const result = await dig('dig', '127.0.0.1', port, ['-b', freshClient(), name, 'A']);
        assert.equal(result.status, 'NXDOMAIN', `${vendor}: ${name}`);
        const event = await daemon.waitForLog((line) => line.event === 'sinkhole' && line.name === name.toLowerCase(), 2000, mark);
        assert.equal(event.list, vendor, `${name} was sinkholed by ${String(event.list)}, expected ${vendor}`);
      }
    });
  }

  test('NTP names are never sinkholed: they resolve to camshim', async () => {
    for (const name of ['pool.ntp.org', '3.amazon.pool.ntp.org', 'time.windows.com', 'time.nist.gov', 'time.ys7.com', 'ntp_dyzl_ipc_address_3.cloudbirds.cn', 'ntp.sjtu.edu.cn']) {
      const result = await dig('dig', '127.0.0.1', daemon.port('udp', 4), [name, 'A']);
      assert.equal(result.status, 'NOERROR', name);
      assert.match(result.answers[0] ?? '', /\sA\s+127\.0\.0\.1$/, name);
    }
  });
});
