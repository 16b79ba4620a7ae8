/**
 * The clock probes under the systemd unit's ProtectClock=yes, without systemd: a seccomp filter
 * that refuses adjtimex(2) and clock_adjtime(2) with EPERM (what ProtectClock's @clock filter does
 * to them) is installed in a python3 wrapper, which then execs each probe command, so every probe
 * runs under it as it would under the unit.
 */
import assert from 'node:assert/strict';
import os from 'node:os';
import { describe, it } from 'node:test';
import { createHostSyncProbe, realProbeEnv, type ProbeEnv } from '../../src/ntp/sync-status.js';

// x86_64 system call numbers: adjtimex 159, clock_adjtime 305. ERRNO(EPERM) = 0x00050001.
const SECCOMP_EXEC = [
  'import ctypes, os, struct, sys',
  'libc = ctypes.CDLL(None, use_errno=True)',
  'ins = [(0x20, 0, 0, 4), (0x15, 1, 0, 0xc000003e), (0x06, 0, 0, 0x7fff0000),',
  '       (0x20, 0, 0, 0), (0x15, 1, 0, 159), (0x15, 0, 1, 305), (0x06, 0, 0, 0x00050001), (0x06, 0, 0, 0x7fff0000)]',
  'buf = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *i) for i in ins))',
  'class Prog(ctypes.Structure): _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]',
  'prog = Prog(len(ins), ctypes.addressof(buf))',
  'assert libc.prctl(38, 1, 0, 0, 0) == 0, "PR_SET_NO_NEW_PRIVS"',
  'assert libc.prctl(22, 2, ctypes.byref(prog), 0, 0) == 0, "PR_SET_SECCOMP"',
  'os.execvp(sys.argv[1], sys.argv[1:])',
].join('\n');

const sandboxed: ProbeEnv = {
  run: (command, args, timeoutMs) => realProbeEnv.run('python3', ['-c', SECCOMP_EXEC, command, ...args], timeoutMs),
  mtimeMs: (path) => realProbeEnv.mtimeMs(path),
};

const skip = os.arch() !== 'x64' ? 'the seccomp wrapper uses x86_64 system call numbers'
  : os.platform() !== 'linux' ? 'seccomp is Linux only' : false;

describe('clock probes under a ProtectClock-like seccomp filter', { skip }, () => {
  it('the filter refuses adjtimex, and the probe names the refusal instead of a bare failure', async () => {
    const direct = await realProbeEnv.run('python3', ['-c', 'import sys'], 3000);
    if (!direct.ok) return assert.fail(`python3 is needed: ${direct.failure}`);
    const refused = await sandboxed.run('python3', ['-c', (await import('../../src/ntp/sync-status.js')).ADJTIMEX_PY], 3000);
    assert.ok(refused.ok, refused.failure);
    assert.match(refused.stdout.trim(), /^-1 \d+ \d+ \d+ 1$/, 'adjtimex returned -1 with EPERM');
    const sync = await createHostSyncProbe(sandboxed, { timeoutMs: 3000 })();
    assert.notEqual(sync.source, 'adjtimex', 'no answer can come from the filtered call');
    if (sync.status === 'unknown') assert.match(sync.detail, /adjtimex refused \(EPERM\)/);
  });
  it('outside the filter the same probe reads the kernel flag', async () => {
    const adjOnly: ProbeEnv = { run: (c, a, t) => (c === 'python3' ? realProbeEnv.run(c, a, t) : Promise.resolve({ ok: false, stdout: '', failure: 'ENOENT' })), mtimeMs: async () => null };
    const sync = await createHostSyncProbe(adjOnly)();
    assert.equal(sync.source, 'adjtimex', sync.detail);
  });
});
