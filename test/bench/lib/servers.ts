import type { ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { execFileSync } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encodeQuery } from '../../../src/wire/encode-query.js';
import { sleep, spawnPinned, stopProcess } from './proc.js';

/** node-floor: test/bench/lib/node-floor-server.ts, what any Node server pays before doing any work. */
export type ServerKind = 'camshim' | 'dnsmasq' | 'unbound' | 'node-floor';

export interface RunningServer {
  readonly kind: ServerKind;
  readonly label: string;
  readonly port: number;
  readonly pid: number;
  /** Spawn to first answered query. */
  readonly readyMs: number;
  stop(): Promise<void>;
}

export interface ServerSpec {
  readonly kind: ServerKind;
  /** Shown in tables, e.g. "camshim --workers 2". */
  readonly label: string;
  readonly port: number;
  readonly cpus: string;
  readonly listFile: string;
  readonly names: readonly string[];
  readonly workDir: string;
  /** camshim only. */
  readonly workers?: number;
  readonly cacheDir?: string;
  readonly rateLimit?: { ratePerSecond: number; burst: number; overLimit: 'refuse' | 'drop' };
  /** camshim only: log.stormWindowSeconds (default: camshim's own). */
  readonly stormWindowSeconds?: number;
  /** camshim only: an empty list (the baseline for memory). */
  readonly emptyList?: boolean;
}

export function installed(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function versionOf(kind: ServerKind): string {
  try {
    if (kind === 'dnsmasq') return execFileSync('dnsmasq', ['--version'], { encoding: 'utf8' }).split('\n')[0]!.replace(/\s+Copyright.*/, '');
    if (kind === 'unbound') return `unbound ${/Version (\S+)/.exec(execFileSync('unbound', ['-V'], { encoding: 'utf8' }))?.[1] ?? '?'}`;
    if (kind === 'node-floor') return `node-floor (raw dgram, NXDOMAIN to all) on node ${process.version}`;
    return `camshim on node ${process.version}`;
  } catch {
    return `${kind} (version unknown)`;
  }
}

/** Asks `port` until it answers; resolves with the time it took, or rejects after `timeoutMs`. */
export async function waitForAnswer(port: number, timeoutMs: number): Promise<void> {
  const socket = dgram.createSocket('udp4');
  const query = encodeQuery('probe.bench.invalid', 1, { id: 0x4242 });
  try {
    const deadline = Date.now() + timeoutMs;
    const answered = new Promise<void>((resolve) => socket.once('message', () => resolve()));
    socket.on('error', () => { /* ICMP port unreachable until the server binds */ });
    let done = false;
    void answered.then(() => { done = true; });
    while (!done) {
      if (Date.now() > deadline) throw new Error(`no DNS answer on 127.0.0.1:${port} within ${timeoutMs} ms`);
      socket.send(query, port, '127.0.0.1');
      await Promise.race([answered, sleep(25)]);
    }
  } finally {
    socket.close();
  }
}

const ROOT = path.resolve(import.meta.dirname, '../../../..');

async function camshimArgs(spec: ServerSpec): Promise<string[]> {
  const config = path.join(spec.workDir, `camshim-${spec.port}.yaml`);
  const lines = [
    'dns:',
    '  tcp: { enabled: false }',
    ...(spec.rateLimit === undefined ? [] : [
      `  rateLimit: { enabled: true, ratePerSecond: ${spec.rateLimit.ratePerSecond}, burst: ${spec.rateLimit.burst}, overLimit: ${spec.rateLimit.overLimit} }`,
    ]),
    'lists:',
    '  bundled: false',
    spec.emptyList === true ? '  sources: []' : `  sources: [{ path: ${JSON.stringify(spec.listFile)}, name: bench }]`,
    spec.cacheDir === undefined ? '  cache: { enabled: false }' : `  cache: { enabled: true, dir: ${JSON.stringify(spec.cacheDir)} }`,
    'defaultGroup: { lists: ["*"], unlisted: nxdomain }',
    'ntp: { enabled: false }',
    // info: every sinkhole/unlisted answer is logged, as on a router.
    spec.stormWindowSeconds === undefined ? 'log: { level: info }' : `log: { level: info, stormWindowSeconds: ${spec.stormWindowSeconds} }`,
  ];
  await writeFile(config, `${lines.join('\n')}\n`);
  return [
    path.join(ROOT, 'dist/src/main.js'), 'serve', '--config', config, '--listen', '127.0.0.1', '--dns-port', String(spec.port),
    ...(spec.workers === undefined ? [] : ['--workers', String(spec.workers)]),
  ];
}

async function dnsmasqArgs(spec: ServerSpec): Promise<string[]> {
  const config = path.join(spec.workDir, `dnsmasq-${spec.port}.conf`);
  // address=/name/ with no address: NXDOMAIN for the name and below. address=/#/: every other
  // name answered NXDOMAIN locally too; nothing is ever forwarded (no-resolv, no servers).
  const text = [
    `port=${spec.port}`, 'listen-address=127.0.0.1', 'bind-interfaces', 'no-resolv', 'no-hosts', 'no-poll', 'user=root',
    ...spec.names.map((name) => `address=/${name}/`), 'address=/#/', '',
  ].join('\n');
  await writeFile(config, text);
  return ['-k', '-C', config, `--pid-file=${path.join(spec.workDir, `dnsmasq-${spec.port}.pid`)}`];
}

async function unboundArgs(spec: ServerSpec): Promise<string[]> {
  const config = path.join(spec.workDir, `unbound-${spec.port}.conf`);
  const header = [
    'server:', '  interface: 127.0.0.1', `  port: ${spec.port}`, '  do-ip6: no', '  do-tcp: no', '  num-threads: 1',
    '  interface-automatic: no', '  so-reuseport: no', '  chroot: ""', '  username: ""', `  directory: "${spec.workDir}"`,
    '  pidfile: ""', '  use-syslog: no', '  logfile: ""', '  verbosity: 0', '  do-daemonize: no',
    '  access-control: 127.0.0.0/8 allow',
    // Every name on no list: NXDOMAIN locally, never a recursion to the internet.
    '  local-zone: "." always_nxdomain',
  ];
  const zones = spec.names.map((name) => `  local-zone: "${name}." always_nxdomain`);
  await writeFile(config, `${[...header, ...zones, 'remote-control:', '  control-enable: no', ''].join('\n')}`);
  return ['-d', '-c', config];
}

/** Starts one server pinned to `spec.cpus` and waits until it answers. */
export async function startServer(spec: ServerSpec, logFile: string, timeoutMs = 90_000): Promise<RunningServer> {
  const [command, args] = spec.kind === 'camshim' ? [process.execPath, await camshimArgs(spec)]
    : spec.kind === 'node-floor' ? [process.execPath, [path.join(ROOT, 'dist/test/bench/lib/node-floor-server.js'), String(spec.port)]]
      : spec.kind === 'dnsmasq' ? ['dnsmasq', await dnsmasqArgs(spec)]
        : ['unbound', await unboundArgs(spec)];
  const fd = openSync(logFile, 'w');
  const started = performance.now();
  let child: ChildProcess;
  try {
    child = spawnPinned(spec.cpus, command, args, { out: fd, err: fd });
  } finally {
    closeSync(fd);
  }
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`${spec.label} exited (${code}) before answering; see ${logFile}`))));
  exited.catch(() => undefined); // a later exit (our own stop) is not an error
  try {
    await Promise.race([waitForAnswer(spec.port, timeoutMs), exited]);
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
  const readyMs = performance.now() - started;
  return {
    kind: spec.kind, label: spec.label, port: spec.port, pid: child.pid!, readyMs,
    stop: () => stopProcess(child),
  };
}
