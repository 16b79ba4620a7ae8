/**
 * Private network namespaces for tests: each is held open by a `sleep` started with
 * `unshare -n`, and entered with `nsenter -t PID -n`. Nothing configured in one is visible on
 * the host, so tests may use any address and ports 53 and 123 there. Needs root.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';

export interface Run { readonly code: number | null; readonly stdout: string; readonly stderr: string }

/** Longest a namespace lives if the test never removes it (the sleep ends and takes it along). */
const LIFETIME_S = 300;

export class NetNs {
  private constructor(private readonly holder: ChildProcess, readonly pid: number) {}

  /** A new namespace with loopback up, or the reason none can be made here (for t.skip). */
  static async create(): Promise<NetNs | string> {
    if (process.getuid?.() !== 0) return 'network namespaces need root';
    const holder = spawn('unshare', ['-n', 'sleep', String(LIFETIME_S)], { stdio: 'ignore' });
    const pid = await new Promise<number | string>((resolve) => {
      holder.once('error', (error) => resolve(`unshare is not available: ${error.message}`));
      holder.once('spawn', () => resolve(holder.pid ?? 'unshare gave no pid'));
      holder.once('exit', (code) => resolve(`unshare -n failed (exit ${code})`));
    });
    if (typeof pid === 'string') return pid;
    const ns = new NetNs(holder, pid);
    // unshare execs sleep once the namespace exists: wait until the pid is in a namespace of its own.
    for (let attempt = 0; attempt < 50; attempt++) {
      const [own, mine] = await Promise.all([ns.run('readlink', [`/proc/${pid}/ns/net`]), ns.hostRun('readlink', ['/proc/self/ns/net'])]);
      if (own.code === 0 && own.stdout.trim() !== mine.stdout.trim() && own.stdout.trim() !== '') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const up = await ns.run('ip', ['link', 'set', 'lo', 'up']);
    if (up.code !== 0) { ns.destroy(); return `cannot configure a network namespace: ${up.stderr.trim()}`; }
    return ns;
  }

  /** The command prefix that runs a program inside the namespace. */
  get enter(): string[] { return ['nsenter', '-t', String(this.pid), '-n', '--']; }

  /** Runs a command inside the namespace to completion. */
  run(file: string, args: readonly string[], timeoutMs = 10_000): Promise<Run> {
    return this.hostRun(this.enter[0]!, [...this.enter.slice(1), file, ...args], timeoutMs);
  }

  /** Runs a command inside the namespace; throws with its output when it fails. */
  async must(file: string, args: readonly string[], timeoutMs = 10_000): Promise<string> {
    const result = await this.run(file, args, timeoutMs);
    if (result.code !== 0) throw new Error(`${file} ${args.join(' ')} failed (${result.code}): ${result.stderr}${result.stdout}`);
    return result.stdout;
  }

  /** `ip ARGS` inside the namespace. */
  ip(...args: string[]): Promise<string> { return this.must('ip', args); }

  /**
   * An interface that is up with carrier, to put addresses on: one end of a veth pair whose
   * other end (`NAME-p`) is up too (dummy and vlan links need kernel modules a CI box may lack).
   */
  async addLink(name: string): Promise<void> {
    await this.ip('link', 'add', name, 'type', 'veth', 'peer', 'name', `${name}-p`);
    await this.ip('link', 'set', `${name}-p`, 'up');
    await this.ip('link', 'set', name, 'up');
  }

  /** Starts a long-running command inside the namespace. */
  spawn(file: string, args: readonly string[]): ChildProcess {
    return spawn(this.enter[0]!, [...this.enter.slice(1), file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  }

  destroy(): void {
    if (this.holder.exitCode === null) this.holder.kill('SIGKILL');
  }

  private hostRun(file: string, args: readonly string[], timeoutMs = 10_000): Promise<Run> {
    return new Promise((resolve) => {
      execFile(file, args, { timeout: timeoutMs }, (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof (error as NodeJS.ErrnoException).code === 'number' ? (error as unknown as { code: number }).code : 1;
        resolve({ code, stdout, stderr: stderr || (error?.message ?? '') });
      });
    });
  }
}

/** A node script run inside a namespace: sends one datagram from `source` and prints where the reply came from. */
export const UDP_PROBE = `
const dgram = require('node:dgram');
const [source, target, port, payloadHex] = process.argv.slice(1);
const s = dgram.createSocket(target.includes(':') ? 'udp6' : 'udp4');
const timer = setTimeout(() => { console.log(JSON.stringify({ reply: null })); s.close(); }, 2000);
s.on('message', (m, r) => { clearTimeout(timer); console.log(JSON.stringify({ reply: { from: r.address, port: r.port, length: m.length, hex: m.subarray(0, 4).toString('hex') } })); s.close(); });
s.bind({ address: source, port: 0 }, () => s.send(Buffer.from(payloadHex, 'hex'), Number(port), target));
`;

/** An NTP client request (version 4, mode 3, a transmit timestamp to echo), as hex. */
export const NTP_REQUEST_HEX = Buffer.concat([Buffer.from([0x23]), Buffer.alloc(39), Buffer.from('e000000000000001', 'hex')]).toString('hex');

/** Sends one UDP datagram from `source` to `target` inside `ns`; returns the reply's source address, or null. */
export async function probeFrom(ns: NetNs, source: string, target: string, port: number, payloadHex: string): Promise<{ from: string; length: number } | null> {
  const out = await ns.must(process.execPath, ['-e', UDP_PROBE, source, target, String(port), payloadHex]);
  const parsed = JSON.parse(out.trim().split('\n').pop()!) as { reply: { from: string; length: number } | null };
  return parsed.reply;
}
