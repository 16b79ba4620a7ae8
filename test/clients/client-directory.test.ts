import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Problem } from '../../src/errors.js';
import { ClientDirectory } from '../../src/clients/client-directory.js';
import { realLeaseFs, type LeaseFs } from '../../src/clients/lease-files.js';
import type { NeighbourEntry } from '../../src/clients/neighbours.js';
import { eventually, FakeTimers } from './fake-timers.js';

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'camshim-clients-'));
  dirs.push(dir);
  return dir;
}

const FUTURE = Math.floor(Date.now() / 1000) + 86_400;
const dnsmasqLine = (ip: string, mac: string, name: string) => `${FUTURE} ${mac} ${ip} ${name} *\n`;

/** A lease fs whose watch always fails: only the poll notices changes. */
const noWatchFs: LeaseFs = { ...realLeaseFs, watch() { throw Object.assign(new Error('no inotify'), { code: 'ENOSPC' }); } };

describe('ClientDirectory: lease files', () => {
  it('sees a changed lease file through the directory watch within a bounded time, in place or replaced by rename', async () => {
    const dir = tempDir();
    const file = join(dir, 'dnsmasq.leases');
    writeFileSync(file, dnsmasqLine('192.168.20.31', '5c:e9:31:aa:bb:01', 'garage-c200'));
    const problems: Problem[] = [];
    // Polling far slower than the bound below: the watch has to do it.
    const directory = new ClientDirectory(
      { leases: [{ path: file, format: 'dnsmasq' }], neighbours: false, leaseDebounceMs: 20, leasePollMs: 60_000 },
      { onProblem: (p) => problems.push(p) },
    );
    after(() => directory.close());
    await directory.start();
    assert.deepEqual(directory.lookup('192.168.20.31'), { mac: '5c:e9:31:aa:bb:01', name: 'garage-c200' });

    writeFileSync(file, dnsmasqLine('192.168.20.31', '5c:e9:31:aa:bb:01', 'garage-renamed'));
    await eventually(() => directory.lookup('192.168.20.31')?.name === 'garage-renamed', 5000, 'in-place write seen');

    writeFileSync(join(dir, '.tmp'), dnsmasqLine('192.168.20.31', '5c:e9:31:aa:bb:01', 'after-rename') + dnsmasqLine('192.168.20.32', '5c:e9:31:aa:bb:02', 'porch'));
    renameSync(join(dir, '.tmp'), file);
    await eventually(() => directory.lookup('192.168.20.32')?.name === 'porch', 5000, 'rename seen');
    assert.equal(directory.lookup('192.168.20.31')?.name, 'after-rename');
    assert.deepEqual(problems, []);
  });

  it('keeps the old data when the file is deleted, reports it once, and picks the file up again when it returns', async () => {
    const dir = tempDir();
    const file = join(dir, 'leases');
    writeFileSync(file, dnsmasqLine('192.168.20.31', '5c:e9:31:aa:bb:01', 'garage-c200'));
    const timers = new FakeTimers();
    const problems: Problem[] = [];
    let rebuilds = 0;
    const directory = new ClientDirectory(
      { leases: [file], neighbours: false, leasePollMs: 1000 },
      { timers, nowMs: () => timers.now, fs: noWatchFs, onProblem: (p) => problems.push(p), onRebuild: () => { rebuilds++; } },
    );
    after(() => directory.close());
    await directory.start();
    assert.equal(directory.lookup('192.168.20.31')?.name, 'garage-c200');

    unlinkSync(file);
    for (let i = 0; i < 5; i++) {
      timers.advance(1000);
      await eventually(() => directory.stats().leaseFiles[0]?.failing === true, 5000, 'missing file noticed');
    }
    assert.equal(directory.lookup('192.168.20.31')?.name, 'garage-c200');
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.code, 'CLIENTS_LEASE_READ');
    assert.equal(problems[0]?.file, file);
    assert.match(problems[0]?.message ?? '', /missing/);

    writeFileSync(file, dnsmasqLine('192.168.20.31', '5c:e9:31:aa:bb:01', 'back-again'));
    const before = rebuilds;
    timers.advance(1000);
    await eventually(() => rebuilds > before, 5000, 'rebuild after the file returned');
    assert.equal(directory.lookup('192.168.20.31')?.name, 'back-again');
    assert.equal(directory.stats().leaseFiles[0]?.failing, false);
    assert.equal(problems.length, 1);
  });

  it('polls when watching is impossible, and re-reads only the file that changed', async () => {
    const dir = tempDir();
    const a = join(dir, 'a.leases');
    const b = join(dir, 'kea-leases4.csv');
    writeFileSync(a, dnsmasqLine('10.0.0.1', 'aa:00:00:00:00:01', 'cam-a'));
    writeFileSync(b, `address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state\n10.0.0.2,aa:00:00:00:00:02,,4000,${FUTURE},1,0,0,cam-b,0\n`);
    const timers = new FakeTimers();
    let rebuilds = 0;
    const directory = new ClientDirectory(
      { leases: [a, b], neighbours: false, leasePollMs: 1000 },
      { timers, nowMs: () => timers.now, fs: noWatchFs, onRebuild: () => { rebuilds++; } },
    );
    after(() => directory.close());
    await directory.start();
    assert.equal(directory.lookup('10.0.0.2')?.name, 'cam-b');
    const loads = () => directory.stats().leaseFiles.map((f) => f.loads);
    assert.deepEqual(loads(), [1, 1]);

    writeFileSync(b, `address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state\n10.0.0.2,aa:00:00:00:00:02,,4000,${FUTURE},1,0,0,cam-b2,0\n`);
    const before = rebuilds;
    timers.advance(1000);
    await eventually(() => rebuilds > before, 5000, 'poll noticed the change');
    assert.equal(directory.lookup('10.0.0.2')?.name, 'cam-b2');
    assert.deepEqual(loads(), [1, 2]);
  });

  it('debounces a burst of change events into one read, and ignores other files in the directory', async () => {
    const dir = tempDir();
    const file = join(dir, 'dnsmasq.leases');
    writeFileSync(file, dnsmasqLine('10.0.0.1', 'aa:00:00:00:00:01', 'one'));
    const events: Array<(name: string | null) => void> = [];
    const fs: LeaseFs = { ...realLeaseFs, watch(_dir, onEvent) { events.push(onEvent); return { close() {} }; } };
    const timers = new FakeTimers();
    const directory = new ClientDirectory(
      { leases: [file], neighbours: false, leaseDebounceMs: 250, leasePollMs: 3_600_000 },
      { timers, nowMs: () => timers.now, fs },
    );
    after(() => directory.close());
    await directory.start();
    assert.equal(events.length, 1);
    const emit = events[0] ?? (() => {});
    writeFileSync(file, dnsmasqLine('10.0.0.1', 'aa:00:00:00:00:01', 'two'));
    emit('unrelated.txt');
    assert.equal(timers.count, 1, 'an unrelated file arms no debounce timer (only the poll is pending)');
    for (let i = 0; i < 20; i++) { emit('dnsmasq.leases'); timers.advance(10); }
    emit(null);
    assert.equal(directory.lookup('10.0.0.1')?.name, 'one');
    timers.advance(250);
    await eventually(() => directory.lookup('10.0.0.1')?.name === 'two', 5000, 'debounced read');
    assert.equal(directory.stats().leaseFiles[0]?.loads, 2);
  });

  it('reads Kea lease-file-cleanup companions (.2, .1) before the journal', async () => {
    const dir = tempDir();
    const file = join(dir, 'kea-leases4.csv');
    const header = 'address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state\n';
    writeFileSync(`${file}.2`, `${header}10.0.0.1,aa:00:00:00:00:01,,4000,${FUTURE},1,0,0,compacted,0\n10.0.0.2,aa:00:00:00:00:02,,4000,${FUTURE},1,0,0,old-2,0\n`);
    writeFileSync(`${file}.1`, `${header}10.0.0.2,aa:00:00:00:00:02,,4000,${FUTURE},1,0,0,newer-2,0\n`);
    writeFileSync(file, `${header}10.0.0.3,aa:00:00:00:00:03,,4000,${FUTURE},1,0,0,newest-3,0\n`);
    const directory = new ClientDirectory({ leases: [file], neighbours: false }, { fs: noWatchFs });
    after(() => directory.close());
    await directory.start();
    assert.equal(directory.lookup('10.0.0.1')?.name, 'compacted');
    assert.equal(directory.lookup('10.0.0.2')?.name, 'newer-2');
    assert.equal(directory.lookup('10.0.0.3')?.name, 'newest-3');
  });

  it('reports an unreadable file once and a file of garbage lines once per distinct state; never throws', async () => {
    const dir = tempDir();
    const good = join(dir, 'dnsmasq.leases');
    writeFileSync(good, dnsmasqLine('10.0.0.1', 'aa:00:00:00:00:01', 'cam') + 'junk line\n');
    const locked = join(dir, 'locked.leases');
    writeFileSync(locked, dnsmasqLine('10.0.0.9', 'aa:00:00:00:00:09', 'never-read'));
    const fs: LeaseFs = {
      ...noWatchFs,
      readFile: (path) => path === locked
        ? Promise.reject(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }))
        : realLeaseFs.readFile(path),
    };
    const timers = new FakeTimers();
    const problems: Problem[] = [];
    const directory = new ClientDirectory(
      { leases: [good, { path: locked, format: 'dnsmasq' }], neighbours: false, leasePollMs: 1000 },
      { timers, nowMs: () => timers.now, fs, onProblem: (p) => problems.push(p) },
    );
    after(() => directory.close());
    await directory.start();
    for (let i = 0; i < 3; i++) {
      timers.advance(1000);
      await directory.refresh();
    }
    assert.equal(directory.lookup('10.0.0.1')?.name, 'cam');
    assert.equal(directory.lookup('10.0.0.9'), undefined);
    assert.deepEqual(problems.map((p) => [p.code, p.file, p.severity]), [
      ['CLIENTS_LEASE_LINES', good, 'warning'],
      ['CLIENTS_LEASE_READ', locked, 'warning'],
    ]);
    assert.match(problems[0]?.message ?? '', /1 line\(s\).*line 2/);
    assert.match(problems[1]?.message ?? '', /permission denied/);
  });

  it('leases: auto reports nothing for usual paths that do not exist', async () => {
    const fs: LeaseFs = {
      ...noWatchFs,
      stat: () => Promise.reject(Object.assign(new Error('ENOENT'), { code: 'ENOENT' })),
      readFile: () => Promise.reject(new Error('must not be read')),
    };
    const problems: Problem[] = [];
    const directory = new ClientDirectory({ leases: 'auto', neighbours: false }, { fs, onProblem: (p) => problems.push(p) });
    after(() => directory.close());
    await directory.start();
    assert.deepEqual(problems, []);
    assert.ok(directory.stats().leaseFiles.length >= 8);
    assert.ok(directory.stats().leaseFiles.every((f) => f.optional && !f.failing && f.leases === 0));
  });
});

describe('ClientDirectory: lookups and the neighbour table', () => {
  function setup(options: { maxEntries?: number; neighbours?: NeighbourEntry[][] } = {}) {
    const timers = new FakeTimers();
    const problems: Problem[] = [];
    const answers = options.neighbours ?? [[{ ip: '192.168.20.31', mac: '5c:e9:31:aa:bb:01' }]];
    let reads = 0;
    let failNext = false;
    const directory = new ClientDirectory(
      {
        leases: [], names: { '5c:e9:31:aa:bb:01': 'garage-c200', '5c:e9:31:aa:bb:02': 'porch' },
        neighbourRefreshMs: 30_000, missRefreshGapMs: 2_000, missBackoffMs: 10_000, missBackoffMaxMs: 40_000,
        ...(options.maxEntries === undefined ? {} : { maxEntries: options.maxEntries }),
      },
      {
        timers, nowMs: () => timers.now, fs: noWatchFs, onProblem: (p) => problems.push(p),
        neighbourReader: async () => {
          reads++;
          if (failNext) throw new Error('netlink says no');
          return answers[Math.min(reads - 1, answers.length - 1)] ?? [];
        },
      },
    );
    after(() => directory.close());
    return { directory, timers, problems, reads: () => reads, failReads: (on: boolean) => { failNext = on; } };
  }

  it('answers socket address spellings: IPv4-mapped, scope ids, non-canonical IPv6', async () => {
    const { directory } = setup({ neighbours: [[
      { ip: '192.168.20.31', mac: '5c:e9:31:aa:bb:01' },
      { ip: 'fe80::5ee9:31ff:feaa:bb01', mac: '5c:e9:31:aa:bb:01' },
    ]] });
    await directory.start();
    const expected = { mac: '5c:e9:31:aa:bb:01', name: 'garage-c200' };
    assert.deepEqual(directory.lookup('192.168.20.31'), expected);
    assert.deepEqual(directory.lookup('::ffff:192.168.20.31'), expected);
    assert.deepEqual(directory.lookup('fe80::5ee9:31ff:feaa:bb01%br-cams'), expected);
    assert.deepEqual(directory.lookup('FE80:0:0:0:5EE9:31FF:FEAA:BB01'), expected);
    assert.equal(directory.lookup('192.168.20.99'), undefined);
    assert.equal(directory.lookup('not an address'), undefined);
  });

  it('re-reads the neighbour table on its interval', async () => {
    const { directory, timers, reads } = setup({ neighbours: [[], [{ ip: '192.168.20.32', mac: '5c:e9:31:aa:bb:02' }]] });
    await directory.start();
    assert.equal(reads(), 1);
    timers.advance(30_000);
    await eventually(() => directory.stats().neighbourReads === 2, 5000, 'interval read');
    await eventually(() => directory.lookup('192.168.20.32') !== undefined, 5000, 'rebuild');
    assert.deepEqual(directory.lookup('192.168.20.32'), { mac: '5c:e9:31:aa:bb:02', name: 'porch' });
  });

  it('a miss re-reads early, at most once per gap overall and with backoff per address', async () => {
    const { directory, timers, reads } = setup({ neighbours: [[], [], [{ ip: '192.168.20.32', mac: '5c:e9:31:aa:bb:02' }]] });
    await directory.start();
    assert.equal(directory.lookup('192.168.20.32'), undefined); // miss -> read 2 (still empty)
    await eventually(() => directory.stats().neighbourReads === 2, 5000, 'miss read finished');
    for (let i = 0; i < 100; i++) directory.lookup('192.168.20.32');
    assert.equal(reads(), 2, 'no second read within the gap or the backoff');
    timers.advance(2_000);
    directory.lookup('192.168.20.32');
    assert.equal(reads(), 2, 'gap passed, but the address backs off for 10 s');
    directory.lookup('192.168.20.33'); // another address may trigger once the gap passed
    directory.lookup('192.168.20.34'); // a read is in flight: remembered, tried after the gap
    await eventually(() => directory.stats().neighbourReads === 3, 5000, 'second address read');
    await eventually(() => directory.lookup('192.168.20.32')?.name === 'porch', 5000, 'found by the read');
    assert.equal(directory.stats().missReads, 2);
    directory.lookup('192.168.20.34');
    assert.equal(directory.stats().missReads, 2, 'still inside the gap');
    timers.advance(2_000);
    directory.lookup('192.168.20.34');
    assert.equal(directory.stats().missReads, 3, 'its first read once the gap passed');
  });

  it('a neighbour table that cannot be read is reported once per streak; data from the last read stays', async () => {
    const { directory, timers, problems, failReads } = setup();
    await directory.start();
    failReads(true);
    for (let i = 0; i < 3; i++) {
      timers.advance(30_000);
      await directory.refresh();
    }
    assert.equal(directory.lookup('192.168.20.31')?.name, 'garage-c200');
    assert.deepEqual(problems.map((p) => p.code), ['CLIENTS_NEIGHBOUR_READ']);
    failReads(false);
    await directory.refresh();
    failReads(true);
    await directory.refresh();
    assert.deepEqual(problems.map((p) => p.code), ['CLIENTS_NEIGHBOUR_READ', 'CLIENTS_NEIGHBOUR_READ']);
  });

  it('caps the table and warns once while over the cap', async () => {
    const many = Array.from({ length: 10 }, (_, i) => ({ ip: `10.0.0.${i + 1}`, mac: `aa:00:00:00:00:${(i + 1).toString(16).padStart(2, '0')}` }));
    const { directory, problems } = setup({ maxEntries: 4, neighbours: [many] });
    await directory.start();
    await directory.refresh();
    assert.equal(directory.stats().clients, 4);
    assert.equal(directory.stats().dropped, 6);
    assert.deepEqual(problems.map((p) => p.code), ['CLIENTS_LIMIT']);
  });

  it('bad clients: entries are reported as warnings and the rest still work', async () => {
    const problems: Problem[] = [];
    const directory = new ClientDirectory(
      { leases: [], neighbours: false, names: { 'not-a-mac': 'x', '10.0.0.1': 'nvr' } },
      { onProblem: (p) => problems.push(p) },
    );
    after(() => directory.close());
    await directory.start();
    assert.deepEqual(directory.lookup('10.0.0.1'), { name: 'nvr' });
    assert.deepEqual(problems.map((p) => [p.code, p.path, p.severity]), [['CONFIG_INVALID', 'clients.not-a-mac', 'warning']]);
  });

  it('close() stops every timer', async () => {
    const { directory, timers } = setup();
    await directory.start();
    assert.ok(timers.count > 0);
    directory.close();
    assert.equal(timers.count, 0);
  });
});

describe('ClientDirectory.describe', () => {
  it('says which sources are in effect and what they gave', async () => {
    const dir = tempDir();
    const file = join(dir, 'dnsmasq.leases');
    writeFileSync(file, dnsmasqLine('10.0.0.1', 'aa:00:00:00:00:01', 'cam') + dnsmasqLine('10.0.0.2', 'aa:00:00:00:00:02', 'cam2'));
    const directory = new ClientDirectory(
      { leases: [file], names: { '10.0.0.3': 'nvr' } },
      { fs: noWatchFs, neighbourReader: async () => [{ ip: '10.0.0.4', mac: 'aa:00:00:00:00:04' }] },
    );
    after(() => directory.close());
    await directory.start();
    assert.equal(directory.describe(), `clients: 4 known; leases: ${file} (dnsmasq, 2 leases); neighbour table: 1 entries; names from config: 1`);
  });
});
