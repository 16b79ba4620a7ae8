import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pino from 'pino';
import { AddressWatcher, type WatchTimers } from '../../src/net/address-watch.js';
import { listenTargets } from '../../src/net/listen-targets.js';
import type { InterfaceAddress } from '../../src/net/local-address.js';
import { ListenSocketSet, type SocketOpener } from '../../src/net/socket-set.js';

const lo4: InterfaceAddress = { address: '127.0.0.1', cidr: '127.0.0.1/8', family: 'IPv4', internal: true, interfaceName: 'lo' };
const lo6: InterfaceAddress = { address: '::1', cidr: '::1/128', family: 'IPv6', internal: true, interfaceName: 'lo' };
const vlan20: InterfaceAddress = { address: '192.168.20.1', cidr: '192.168.20.1/24', family: 'IPv4', internal: false, interfaceName: 'vlan20' };
const link20: InterfaceAddress = { address: 'fe80::1', cidr: 'fe80::1/64', family: 'IPv6', internal: false, interfaceName: 'vlan20' };
const ula20: InterfaceAddress = { address: 'fd20::1', cidr: 'fd20::1/64', family: 'IPv6', internal: false, interfaceName: 'vlan20' };

describe('listenTargets', () => {
  test('a wildcard is every address of its family; link-local IPv6 carries its interface', () => {
    const plan = listenTargets(['0.0.0.0', '::'], [lo4, lo6, vlan20, link20, ula20]);
    assert.deepEqual(plan.targets.map((t) => t.address), ['127.0.0.1', '192.168.20.1', '::1', 'fe80::1%vlan20', 'fd20::1']);
    assert.ok(plan.targets.every((t) => !t.explicit));
    assert.deepEqual(plan.missing, []);
  });

  test('an explicit address is a target while the machine has it, else missing; 127.0.0.0/8 is all local', () => {
    const plan = listenTargets(['192.168.20.1', '192.168.30.1', '127.0.0.53', 'fe80::1'], [lo4, vlan20, link20]);
    assert.deepEqual(plan.targets.map((t) => [t.address, t.explicit]), [['192.168.20.1', true], ['127.0.0.53', true], ['fe80::1%vlan20', true]]);
    assert.deepEqual(plan.missing, ['192.168.30.1']);
  });

  test('the cap keeps explicit addresses first and counts what it leaves out', () => {
    const many: InterfaceAddress[] = Array.from({ length: 10 }, (_, i) => ({ address: `10.0.0.${i + 1}`, cidr: `10.0.0.${i + 1}/24`, family: 'IPv4', internal: false, interfaceName: 'eth0' }));
    const plan = listenTargets(['0.0.0.0', '10.0.0.9'], many, 4);
    assert.deepEqual(plan.targets.map((t) => t.address), ['10.0.0.9', '10.0.0.1', '10.0.0.2', '10.0.0.3']);
    assert.equal(plan.skipped, 6);
  });
});

/** A fake opener: addresses in `refuse` fail with the given code, the rest "bind" on port 5300 (or the one asked). */
function fakeOpener(refuse: Map<string, string>): SocketOpener<{ address: string; port: number }> & { opened: string[]; closed: string[] } {
  const opened: string[] = [];
  const closed: string[] = [];
  return {
    service: 'TEST',
    opened,
    closed,
    async open(target, port) {
      const code = refuse.get(target.address);
      if (code !== undefined) throw Object.assign(new Error(`cannot bind ${target.address}: ${code}`), { code });
      opened.push(target.address);
      return { address: target.address, port: port === 0 ? 5300 : port };
    },
    portOf: (handle) => handle.port,
    async close(handle) { closed.push(handle.address); },
    unavailable: (error) => (error as { code?: string }).code === 'EADDRNOTAVAIL',
    inUse: (error) => (error as { code?: string }).code === 'EADDRINUSE',
  };
}

/**
 * An opener whose port 0 gets the next of `picks`, as the kernel gives one, and where `taken`
 * says which numbers another socket already holds on which address.
 */
function portPickingOpener(picks: number[], taken: (address: string, port: number) => boolean): SocketOpener<{ address: string; port: number }> & { closed: string[]; asked: number } {
  const closed: string[] = [];
  const opener = {
    service: 'TEST',
    closed,
    asked: 0,
    async open(target: { address: string }, port: number) {
      const chosen = port === 0 ? picks[opener.asked++]! : port;
      if (taken(target.address, chosen)) throw Object.assign(new Error(`cannot bind ${target.address}:${chosen}: EADDRINUSE`), { code: 'EADDRINUSE' });
      return { address: target.address, port: chosen };
    },
    portOf: (handle: { port: number }) => handle.port,
    async close(handle: { address: string; port: number }) { closed.push(`${handle.address}:${handle.port}`); },
    unavailable: () => false,
    inUse: (error: unknown) => (error as { code?: string }).code === 'EADDRINUSE',
  };
  return opener;
}

describe('ListenSocketSet', () => {
  test('binds what appears, closes what goes, retries a bind that failed, logs each failure once', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>); } });
    const refuse = new Map([['fd20::1', 'EADDRNOTAVAIL']]);
    const opener = fakeOpener(refuse);
    const set = new ListenSocketSet(['0.0.0.0', '::', '192.168.30.1'], 0, opener, logger);
    await set.start([lo4, lo6, ula20]);
    assert.deepEqual(set.addresses().sort(), ['127.0.0.1', '::1']);
    assert.equal(set.port, 5300, 'port 0 becomes the first socket\'s port, shared by the rest');
    assert.equal(lines.filter((l) => l.event === 'listen-missing').length, 1);
    assert.equal(lines.filter((l) => l.event === 'listen-failed').length, 1);
    // Nothing changed but a bind waits for a retry: it is retried, and logged once only.
    await set.update([lo4, lo6, ula20], false);
    assert.equal(lines.filter((l) => l.event === 'listen-failed').length, 1);
    refuse.clear();
    await set.update([lo4, lo6, ula20], false);
    assert.ok(set.addresses().includes('fd20::1'));
    // The explicit address appears; lo6 goes away.
    await set.update([lo4, ula20, { ...vlan20, address: '192.168.30.1', cidr: '192.168.30.1/24', interfaceName: 'vlan30' }], true);
    assert.deepEqual(set.addresses().sort(), ['127.0.0.1', '192.168.30.1', 'fd20::1']);
    assert.deepEqual(opener.closed, ['::1']);
    assert.ok(lines.some((l) => l.event === 'unlisten' && l.address === '::1'));
    assert.ok(lines.some((l) => l.event === 'listen' && l.address === '192.168.30.1' && l.port === 5300));
    await set.close();
    assert.deepEqual(opener.closed.sort(), ['127.0.0.1', '192.168.30.1', '::1', 'fd20::1']);
    // After close, updates bind nothing.
    await set.update([lo4, vlan20], true);
    assert.deepEqual(set.addresses(), []);
  });

  test('at start a bind error other than "address not available" is thrown and nothing stays bound', async () => {
    const opener = fakeOpener(new Map([['192.168.20.1', 'EADDRINUSE']]));
    const set = new ListenSocketSet(['0.0.0.0'], 53, opener, pino({ level: 'silent' }));
    await assert.rejects(set.start([lo4, vlan20]), /EADDRINUSE/);
    assert.deepEqual(opener.closed, ['127.0.0.1']);
  });

  test('port 0: when the number the first socket got is taken for a later one, all are closed and the kernel asked again', async () => {
    const opener = portPickingOpener([40001, 40002], (address, port) => address === '::1' && port === 40001);
    const set = new ListenSocketSet(['127.0.0.1', '::1'], 0, opener, pino({ level: 'silent' }));
    await set.start([lo4, lo6]);
    assert.equal(set.port, 40002);
    assert.deepEqual(set.addresses().sort(), ['127.0.0.1', '::1']);
    assert.deepEqual(opener.closed, ['127.0.0.1:40001'], 'the first try\'s socket is closed');
    await set.close();
  });

  test('port 0: a clash on every try fails the start after a few tries, nothing left bound', async () => {
    const opener = portPickingOpener([40001, 40002, 40003, 40004, 40005, 40006], (address) => address === '::1');
    const set = new ListenSocketSet(['127.0.0.1', '::1'], 0, opener, pino({ level: 'silent' }));
    await assert.rejects(set.start([lo4, lo6]), /EADDRINUSE/);
    assert.equal(opener.asked, 5);
    assert.deepEqual(opener.closed, ['127.0.0.1:40001', '127.0.0.1:40002', '127.0.0.1:40003', '127.0.0.1:40004', '127.0.0.1:40005']);
    assert.deepEqual(set.addresses(), []);
  });

  test('a named port that is taken is not tried again', async () => {
    const opener = portPickingOpener([], (address) => address === '::1');
    const set = new ListenSocketSet(['127.0.0.1', '::1'], 5353, opener, pino({ level: 'silent' }));
    await assert.rejects(set.start([lo4, lo6]), /EADDRINUSE/);
    assert.deepEqual(opener.closed, ['127.0.0.1:5353']);
  });
});

describe('AddressWatcher', () => {
  test('polls on its timer, says when the set changed, keeps the last set when a read fails', () => {
    let tick: (() => void) | undefined;
    const timers: WatchTimers = { setInterval: (callback) => { tick = callback; return 1; }, clearInterval: () => { tick = undefined; } };
    let current: InterfaceAddress[] | Error = [lo4];
    const watcher = new AddressWatcher(() => { if (current instanceof Error) throw current; return current; }, 1000, timers);
    const seen: [number, boolean][] = [];
    watcher.onPoll((addresses, changed) => seen.push([addresses.length, changed]));
    watcher.start();
    tick!();
    current = [lo4, vlan20];
    tick!();
    current = new Error('getifaddrs failed');
    tick!();
    assert.deepEqual(seen, [[1, false], [2, true], [2, false]]);
    watcher.stop();
    assert.equal(tick, undefined);
  });
});
