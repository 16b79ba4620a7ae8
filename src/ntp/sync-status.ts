/**
 * Is the host clock synchronised? Asks, in order, the sources a Linux router
 * may have, and takes the first definite answer. The order puts first what
 * works inside the systemd unit's sandbox and needs no extra process:
 *
 * 1. `/run/systemd/timesync/synchronized` — systemd-timesyncd touches it on
 *    every successful sync (its mtime is the last update); absence says nothing.
 *    A file read: no process, no system call the sandbox filters.
 * 2. `chronyc -n -c tracking` — chronyd's own view, with leap status,
 *    reference ID, reference time, root delay and root dispersion, over
 *    chronyd's unix command socket (a datagram socket, which Node cannot open,
 *    hence chronyc). Works under the unit: AF_UNIX is allowed.
 * 3. `timedatectl show -p NTPSynchronized --value` — the kernel's sync flag, read
 *    by systemd-timedated outside the sandbox and asked over D-Bus. This is how
 *    ntpd, ntpsec, openntpd and busybox ntpd are seen under the unit: each of
 *    them keeps the kernel flag, and the unit's ProtectClock=yes keeps camshim
 *    from reading it itself.
 * 4. adjtimex(2) — the same kernel flag and max error, read through python3's
 *    ctypes (Node has no binding). For hosts without systemd (OpenWrt and the
 *    like, where camshim runs outside any sandbox). Under ProtectClock=yes the
 *    seccomp filter refuses the call with EPERM, and the answer says so.
 *
 * None answering gives `unknown` (containers without systemd or python).
 * Everything here is I/O at the edge; the parsers are pure and exported for
 * tests, and the whole probe is injectable (`SyncStatusSource`).
 */
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import type { LeapIndicator } from './packet.js';

export type HostSyncStatus = 'synchronised' | 'unsynchronised' | 'unknown';

export interface HostSync {
  status: HostSyncStatus;
  /** Which probe gave the answer: chronyc | timesyncd | timedatectl | adjtimex | none (or a test's name). */
  source: string;
  /** Human-readable summary for logs. */
  detail: string;
  /** Leap warning from the host, where known. */
  leap?: LeapIndicator;
  /** The host's reference ID (its upstream server), where known. */
  refId?: number;
  /** When the host clock was last updated from its reference (Unix ns), where known. */
  refTimeNs?: bigint;
  /** Host's round-trip delay to the primary reference (s), where known. */
  rootDelay?: number;
  /** Host's dispersion to the primary reference (s), where known. */
  rootDispersion?: number;
}

/** Injectable: resolves with the host's current sync status. Must not reject. */
export type SyncStatusSource = () => Promise<HostSync>;

export interface RunResult {
  ok: boolean;
  stdout: string;
  /** spawn error code (ENOENT = not installed), exit code or signal, for logs. */
  failure: string;
}

export interface ProbeEnv {
  run(command: string, args: readonly string[], timeoutMs: number): Promise<RunResult>;
  /** mtime in ms, or null when the file does not exist or cannot be read. */
  mtimeMs(path: string): Promise<number | null>;
}

export const realProbeEnv: ProbeEnv = {
  run(command, args, timeoutMs) {
    return new Promise((resolve) => {
      execFile(command, [...args], { timeout: timeoutMs, maxBuffer: 64 * 1024, env: { ...process.env, LC_ALL: 'C' } }, (err, stdout) => {
        if (err === null) return resolve({ ok: true, stdout: String(stdout), failure: '' });
        const e = err as NodeJS.ErrnoException & { signal?: string | null };
        const failure = typeof e.code === 'string' ? e.code : e.signal ? `signal ${e.signal}` : `exit ${String(e.code ?? '?')}`;
        resolve({ ok: false, stdout: String(stdout ?? ''), failure });
      });
    });
  },
  async mtimeMs(path) {
    try {
      return (await stat(path)).mtimeMs;
    } catch {
      return null;
    }
  },
};

/** chronyd's reference ID when it serves its own clock ("local" directive): 127.127.1.1. */
const CHRONY_LOCAL_REFID = 0x7f7f0101;

const LEAP_BY_CHRONY_NAME: Readonly<Record<string, LeapIndicator>> = {
  Normal: 0,
  'Insert second': 1,
  'Delete second': 2,
  'Not synchronised': 3,
};

/**
 * Parse `chronyc -c tracking` (CSV): refid hex, ref name, stratum, ref time (s),
 * system time, last offset, RMS offset, frequency, residual freq, skew,
 * root delay, root dispersion, update interval, leap status.
 */
export function parseChronycTracking(output: string): HostSync | null {
  const line = output.trim().split('\n')[0] ?? '';
  const f = line.split(',');
  if (f.length < 14) return null;
  const refId = Number.parseInt(f[0] ?? '', 16);
  const stratum = Number(f[2]);
  const refTimeS = f[3] ?? '';
  const rootDelay = Number(f[10]);
  const rootDispersion = Number(f[11]);
  const leapName = (f[13] ?? '').trim();
  const leap = LEAP_BY_CHRONY_NAME[leapName];
  if (!Number.isFinite(refId) || leap === undefined || !Number.isFinite(rootDelay) || !Number.isFinite(rootDispersion)) return null;
  if (leap === 3 || refId === 0) {
    return { status: 'unsynchronised', source: 'chronyc', detail: `chronyd: ${leapName}` };
  }
  if (refId === CHRONY_LOCAL_REFID) {
    return { status: 'unsynchronised', source: 'chronyc', detail: `chronyd serves its own clock (local reference, stratum ${stratum})` };
  }
  const refTimeNs = decimalSecondsToNs(refTimeS);
  const sync: HostSync = {
    status: 'synchronised',
    source: 'chronyc',
    detail: `chronyd synchronised to ${f[1] ?? '?'} (stratum ${stratum}), root delay ${rootDelay}s, root dispersion ${rootDispersion}s`,
    leap,
    refId: refId >>> 0,
    rootDelay,
    rootDispersion,
  };
  if (refTimeNs !== null) sync.refTimeNs = refTimeNs;
  return sync;
}

/** "1700000000.123456789" -> ns, exactly; null if not a plain positive decimal. */
export function decimalSecondsToNs(text: string): bigint | null {
  const m = /^(\d+)(?:\.(\d{0,9})\d*)?$/.exec(text.trim());
  if (m === null) return null;
  const whole = BigInt(m[1] ?? '0');
  const frac = BigInt((m[2] ?? '').padEnd(9, '0'));
  const ns = whole * 1_000_000_000n + frac;
  return ns > 0n ? ns : null;
}

export function parseTimedatectl(output: string): HostSync | null {
  const v = output.trim();
  if (v === 'yes') return { status: 'synchronised', source: 'timedatectl', detail: 'timedatectl: NTPSynchronized=yes' };
  if (v === 'no') return { status: 'unsynchronised', source: 'timedatectl', detail: 'timedatectl: NTPSynchronized=no' };
  return null;
}

/** adjtimex(2) status bits. */
const STA_INS = 0x0010;
const STA_DEL = 0x0020;
const STA_UNSYNC = 0x0040;
const TIME_ERROR = 5;
/** The kernel's ceiling for maxerror (16 s, in µs): the clock is then unsynchronised. */
const NTP_PHASE_LIMIT_US = 16_000_000;

/** Prints "<return> <status> <maxerror µs> <esterror µs> <errno>" from adjtimex(2) with modes=0 (read-only). */
export const ADJTIMEX_PY = [
  'import ctypes, ctypes.util',
  'class T(ctypes.Structure):',
  ' _fields_ = [("modes", ctypes.c_uint), ("offset", ctypes.c_long), ("freq", ctypes.c_long), ("maxerror", ctypes.c_long), ("esterror", ctypes.c_long), ("status", ctypes.c_int), ("rest", ctypes.c_byte * 256)]',
  'libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)',
  't = T()',
  'r = libc.adjtimex(ctypes.byref(t))',
  'print(r, t.status, t.maxerror, t.esterror, ctypes.get_errno() if r < 0 else 0)',
].join('\n');

const EPERM = 1;

/** Why adjtimex(2) gave no answer, from the probe's output; null when it answered or the output is not the probe's. */
export function adjtimexFailure(output: string): string | null {
  const m = /^(-?\d+) -?\d+ -?\d+ -?\d+ (\d+)\s*$/.exec(output.trim());
  if (m === null || Number(m[1]) >= 0) return null;
  const errno = Number(m[2]);
  return errno === EPERM
    ? 'adjtimex refused (EPERM): a seccomp filter such as the unit\'s ProtectClock=yes blocks it'
    : `adjtimex failed (errno ${errno})`;
}

export function parseAdjtimex(output: string): HostSync | null {
  const m = /^(-?\d+) (-?\d+) (-?\d+) (-?\d+)(?: \d+)?\s*$/.exec(output.trim());
  if (m === null) return null;
  const ret = Number(m[1]);
  const status = Number(m[2]);
  const maxErrorUs = Number(m[3]);
  if (ret < 0) return null;
  if (ret === TIME_ERROR || (status & STA_UNSYNC) !== 0 || maxErrorUs >= NTP_PHASE_LIMIT_US) {
    return { status: 'unsynchronised', source: 'adjtimex', detail: `kernel clock unsynchronised (adjtimex status 0x${status.toString(16)}, maxerror ${maxErrorUs} µs)` };
  }
  const leap: LeapIndicator = (status & STA_INS) !== 0 ? 1 : (status & STA_DEL) !== 0 ? 2 : 0;
  return {
    status: 'synchronised',
    source: 'adjtimex',
    detail: `kernel clock synchronised (adjtimex status 0x${status.toString(16)}, maxerror ${maxErrorUs} µs)`,
    leap,
    // The kernel's maximum error is the daemon's root distance plus growth since its last update.
    rootDispersion: Math.max(0, maxErrorUs) / 1e6,
  };
}

export const TIMESYNCD_FLAG_FILE = '/run/systemd/timesync/synchronized';

export interface HostSyncProbeOptions {
  /** Per-command timeout (ms). */
  timeoutMs: number;
  /** Skip the python3/adjtimex probe (e.g. on very small routers). */
  adjtimex: boolean;
  /** chronyd's command socket, when not the default (chronyc -h PATH). */
  chronycSocket: string;
}

/** The real status source: tries each probe in turn. Never rejects. */
export function createHostSyncProbe(env: ProbeEnv = realProbeEnv, options: Partial<HostSyncProbeOptions> = {}): SyncStatusSource {
  const { timeoutMs = 3000, adjtimex = true, chronycSocket } = options;
  const chronycArgs = [...(chronycSocket === undefined ? [] : ['-h', chronycSocket]), '-n', '-c', 'tracking'];
  return async () => {
    const notes: string[] = [];
    try {
      const mtime = await env.mtimeMs(TIMESYNCD_FLAG_FILE);
      if (mtime !== null) {
        return {
          status: 'synchronised',
          source: 'timesyncd',
          detail: `systemd-timesyncd synchronised (last update ${new Date(mtime).toISOString()})`,
          refTimeNs: BigInt(Math.round(mtime * 1e6)),
        };
      }
      notes.push('timesyncd: no flag file');

      const chrony = await env.run('chronyc', chronycArgs, timeoutMs);
      const parsed = chrony.ok ? parseChronycTracking(chrony.stdout) : null;
      if (parsed !== null) return parsed;
      notes.push(`chronyc: ${chrony.ok ? 'unparsable output' : chrony.failure}`);

      const tdc = await env.run('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], timeoutMs);
      const tdcParsed = tdc.ok ? parseTimedatectl(tdc.stdout) : null;
      if (tdcParsed !== null) return tdcParsed;
      notes.push(`timedatectl: ${tdc.ok ? 'unparsable output' : tdc.failure}`);

      if (adjtimex) {
        const adj = await env.run('python3', ['-c', ADJTIMEX_PY], timeoutMs);
        const adjParsed = adj.ok ? parseAdjtimex(adj.stdout) : null;
        if (adjParsed !== null) return adjParsed;
        notes.push(`adjtimex: ${adj.ok ? adjtimexFailure(adj.stdout) ?? 'unparsable output' : adj.failure}`);
      }
    } catch (err) {
      notes.push(`probe error: ${err instanceof Error ? err.message : String(err)}`);
    }
    return { status: 'unknown', source: 'none', detail: `host sync status unknown (${notes.join('; ')})` };
  };
}
