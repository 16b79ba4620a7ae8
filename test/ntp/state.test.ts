import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClientTable } from '../../src/ntp/client-table.js';
import { bindError, formatEndpoint } from '../../src/net/bind-error.js';
import {
  createHostSyncProbe,
  decimalSecondsToNs,
  parseAdjtimex,
  adjtimexFailure,
  parseChronycTracking,
  parseTimedatectl,
  type ProbeEnv,
  type RunResult,
} from '../../src/ntp/sync-status.js';
import { LOCAL_REF_ID, selectTimeState, UNKNOWN_UPSTREAM_ROOT_DISPERSION } from '../../src/ntp/time-state.js';
import { NOT_BEFORE, synced, T2026_NS, unsynced } from './helpers.js';

const CHRONY_SYNCED = 'C0A80001,192.168.0.1,2,1767225590.123456789,-0.000001234,0.000002,0.000010,-3.5,0.001,0.02,0.012345678,0.000987654,64.2,Normal\n';
const CHRONY_UNSYNCED = '00000000,,0,0.000000000,0.000000000,0.000000000,0.000000000,0.000,0.000,0.000,1.000000000,1.000000000,0.0,Not synchronised\n';
const CHRONY_LOCAL = '7F7F0101,,10,1767225590.000000000,0.0,0.0,0.0,0.0,0.0,0.0,0.000000000,0.000000000,0.0,Normal\n';

describe('sync status parsers', () => {
  it('reads chronyc -c tracking', () => {
    const s = parseChronycTracking(CHRONY_SYNCED);
    assert.ok(s);
    assert.equal(s.status, 'synchronised');
    assert.equal(s.refId, 0xc0a80001);
    assert.equal(s.refTimeNs, 1_767_225_590_123_456_789n);
    assert.equal(s.rootDelay, 0.012345678);
    assert.equal(s.rootDispersion, 0.000987654);
    assert.equal(s.leap, 0);
    assert.equal(parseChronycTracking(CHRONY_SYNCED.replace('Normal', 'Insert second'))?.leap, 1);
    assert.equal(parseChronycTracking(CHRONY_UNSYNCED)?.status, 'unsynchronised');
    assert.equal(parseChronycTracking(CHRONY_LOCAL)?.status, 'unsynchronised');
    assert.equal(parseChronycTracking('506 Cannot talk to daemon'), null);
    assert.equal(parseChronycTracking(''), null);
  });
  it('reads timedatectl and adjtimex', () => {
    assert.equal(parseTimedatectl('yes\n')?.status, 'synchronised');
    assert.equal(parseTimedatectl('no\n')?.status, 'unsynchronised');
    assert.equal(parseTimedatectl(''), null);
    assert.equal(parseAdjtimex('5 64 16000000 16000000')?.status, 'unsynchronised');
    const ok = parseAdjtimex('0 8193 12000 500\n');
    assert.equal(ok?.status, 'synchronised');
    assert.equal(ok?.rootDispersion, 0.012);
    assert.equal(parseAdjtimex('1 8209 12000 500')?.leap, 1); // STA_INS
    assert.equal(parseAdjtimex('garbage'), null);
    assert.equal(parseAdjtimex('0 8193 12000 500 0')?.status, 'synchronised', 'with the errno field');
    assert.equal(parseAdjtimex('-1 0 0 0 1'), null, 'a refused call says nothing');
  });
  it('converts decimal seconds to ns exactly', () => {
    assert.equal(decimalSecondsToNs('1767225590.123456789123'), 1_767_225_590_123_456_789n);
    assert.equal(decimalSecondsToNs('12'), 12_000_000_000n);
    assert.equal(decimalSecondsToNs('0.000'), null);
    assert.equal(decimalSecondsToNs('-1'), null);
  });
});

function fakeEnv(answers: Record<string, RunResult>, flagMtime: number | null = null): ProbeEnv & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async run(cmd) {
      calls.push(cmd);
      return answers[cmd] ?? { ok: false, stdout: '', failure: 'ENOENT' };
    },
    async mtimeMs() {
      calls.push('stat');
      return flagMtime;
    },
  };
}

describe('host sync probe', () => {
  it('prefers chronyc when chronyd answers', async () => {
    const env = fakeEnv({ chronyc: { ok: true, stdout: CHRONY_SYNCED, failure: '' } });
    const s = await createHostSyncProbe(env)();
    assert.equal(s.source, 'chronyc');
    assert.deepEqual(env.calls, ['stat', 'chronyc']);
  });
  it('reads timesyncd\'s flag file first: no process, nothing the sandbox filters', async () => {
    const env = fakeEnv({ chronyc: { ok: true, stdout: CHRONY_SYNCED, failure: '' } }, 1_767_225_000_000);
    const s = await createHostSyncProbe(env)();
    assert.equal(s.source, 'timesyncd');
    assert.deepEqual(env.calls, ['stat']);
  });
  it('under ProtectClock=yes: timedatectl answers for ntpd and the like; a refused adjtimex is named', async () => {
    // What the unit's sandbox leaves: no timesyncd file, no chronyd, adjtimex refused by seccomp.
    const refused = { ok: true, stdout: '-1 0 0 0 1\n', failure: '' };
    const viaTimedated = fakeEnv({ timedatectl: { ok: true, stdout: 'yes\n', failure: '' }, python3: refused });
    const s = await createHostSyncProbe(viaTimedated)();
    assert.deepEqual([s.status, s.source], ['synchronised', 'timedatectl']);
    assert.deepEqual(viaTimedated.calls, ['stat', 'chronyc', 'timedatectl']);
    const nothing = await createHostSyncProbe(fakeEnv({ python3: refused }))();
    assert.equal(nothing.status, 'unknown');
    assert.match(nothing.detail, /adjtimex refused \(EPERM\): a seccomp filter such as the unit's ProtectClock=yes blocks it/);
    assert.equal(adjtimexFailure('-1 0 0 0 22'), 'adjtimex failed (errno 22)');
    assert.equal(adjtimexFailure('0 8193 12000 500 0'), null);
  });
  it('falls through to timesyncd, then timedatectl, then adjtimex', async () => {
    const flag = await createHostSyncProbe(fakeEnv({}, 1_767_225_000_000))();
    assert.equal(flag.source, 'timesyncd');
    assert.equal(flag.refTimeNs, 1_767_225_000_000_000_000n);
    const tdc = await createHostSyncProbe(fakeEnv({ timedatectl: { ok: true, stdout: 'no\n', failure: '' } }))();
    assert.equal(tdc.source, 'timedatectl');
    const adj = await createHostSyncProbe(fakeEnv({ python3: { ok: true, stdout: '5 64 16000000 16000000\n', failure: '' } }))();
    assert.equal(adj.source, 'adjtimex');
    assert.equal(adj.status, 'unsynchronised');
  });
  it('says unknown, with what it tried, when nothing answers', async () => {
    const env = fakeEnv({ chronyc: { ok: false, stdout: '506 Cannot talk to daemon', failure: 'exit 1' } });
    const s = await createHostSyncProbe(env)();
    assert.equal(s.status, 'unknown');
    assert.match(s.detail, /chronyc: exit 1/);
    assert.match(s.detail, /adjtimex: ENOENT/);
    assert.deepEqual(env.calls, ['stat', 'chronyc', 'timedatectl', 'python3']);
  });
  it('runs for real without throwing (whatever this machine says)', async () => {
    const s = await createHostSyncProbe()();
    assert.ok(['synchronised', 'unsynchronised', 'unknown'].includes(s.status));
  });
});

describe('clock state selection', () => {
  const base = { nowNs: T2026_NS, notBefore: NOT_BEFORE, stratum: 3, localStratum: 10, precision: -23 };
  it('synchronised host: configured stratum, host leap, honest defaults where the host says nothing', () => {
    const s = selectTimeState({ ...base, sync: synced({ leap: 2 }) });
    assert.deepEqual([s.name, s.stratum, s.leap, s.refTimeNs], ['synchronised', 3, 2, T2026_NS]);
    assert.equal(s.rootDispersion, UNKNOWN_UPSTREAM_ROOT_DISPERSION);
  });
  it('a future reference time from the host is not believed', () => {
    const s = selectTimeState({ ...base, sync: synced({ refTimeNs: T2026_NS + 10n ** 12n }) });
    assert.equal(s.refTimeNs, T2026_NS);
  });
  it('unsynchronised or unknown but plausible: local stratum, LOCL', () => {
    for (const sync of [unsynced(), { status: 'unknown' as const, source: 'none', detail: 'unknown' }]) {
      const s = selectTimeState({ ...base, sync });
      assert.deepEqual([s.name, s.stratum, s.leap, s.refId], ['local', 10, 0, LOCAL_REF_ID]);
    }
  });
  it('implausible clock (before notBefore): LI 3, stratum 16, whatever the host says', () => {
    const s = selectTimeState({ ...base, nowNs: BigInt(NOT_BEFORE.getTime() - 1) * 1_000_000n, sync: synced() });
    assert.deepEqual([s.name, s.stratum, s.leap, s.refTimeNs], ['unsynchronised', 16, 3, null]);
  });
});

describe('client table and errors', () => {
  it('reports new clients once and stays bounded', () => {
    let now = 0;
    const t = new ClientTable(2, () => now++);
    assert.equal(t.observe('10.0.0.1', 'cams', 4).isNew, true);
    assert.equal(t.observe('10.0.0.1', 'cams', 3).isNew, false);
    assert.equal(t.observe('10.0.0.2', 'cams', 4).isNew, true);
    assert.equal(t.observe('10.0.0.3', 'cams', 4).isNew, true);
    assert.equal(t.size, 2);
    assert.deepEqual(t.list().map((r) => r.address), ['10.0.0.2', '10.0.0.3']);
  });
  it('maps bind failures to stable codes with endpoint, cause and fix', () => {
    const ntp = (address: string) => ({ service: 'NTP' as const, protocol: 'udp' as const, address, port: 123 });
    const denied = bindError(Object.assign(new Error('bind EACCES'), { code: 'EACCES' }), ntp('0.0.0.0'));
    assert.equal(denied.code, 'NTP_BIND_DENIED');
    assert.match(denied.message, /0\.0\.0\.0:123/);
    assert.match(denied.message, /CAP_NET_BIND_SERVICE/);
    const inUse = bindError(Object.assign(new Error('bind EADDRINUSE'), { code: 'EADDRINUSE' }), ntp('::'));
    assert.equal(inUse.code, 'NTP_PORT_IN_USE');
    assert.match(inUse.message, /\[::\]:123/);
    assert.match(inUse.message, /chronyd/);
    assert.equal(bindError({ code: 'EADDRNOTAVAIL' }, ntp('10.9.9.9')).code, 'NTP_ADDRESS_UNAVAILABLE');
    assert.equal(bindError(new Error('weird'), ntp('10.9.9.9')).code, 'NTP_BIND_FAILED');
    // The same function speaks for DNS, with DNS's codes and hints.
    const dnsInUse = bindError(Object.assign(new Error('bind EADDRINUSE'), { code: 'EADDRINUSE' }), { service: 'DNS', protocol: 'tcp', address: '127.0.0.1', port: 53 });
    assert.equal(dnsInUse.code, 'DNS_PORT_IN_USE');
    assert.match(dnsInUse.message, /127\.0\.0\.1:53\/tcp/);
    assert.match(dnsInUse.message, /systemd-resolved/);
    assert.equal(formatEndpoint('::1', 5), '[::1]:5');
  });
});
