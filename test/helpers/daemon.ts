import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const MAIN = path.join(PROJECT_ROOT, 'dist/src/main.js');

export interface Endpoint { protocol: 'udp' | 'tcp'; address: string; port: number }

export interface RunningDaemon {
  readonly process: ChildProcess;
  readonly endpoints: Endpoint[];
  /** Every JSON log line so far. */
  readonly logs: Record<string, unknown>[];
  readonly stderr: () => string;
  port(protocol: 'udp' | 'tcp', family: 4 | 6): number;
  /** Resolves with the first log line (from now on, or already seen when `since` is given) that matches. */
  waitForLog(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number, since?: number): Promise<Record<string, unknown>>;
  stop(): Promise<number | null>;
}

/** Writes a temp folder with the given files; returns its path. */
export async function tempDir(files: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'camshim-test-'));
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(dir, name), content);
  return dir;
}

/**
 * Starts the real daemon (`node dist/src/main.js serve`) on loopback with ephemeral ports
 * (CAMSHIM_TEST_EPHEMERAL_PORTS=1 lets port 0 through) and
 * waits for its start-up log line, which names the ports it bound.
 */
export async function startDaemon(args: readonly string[], options: {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /**
   * Runs the daemon through another command that execs it, so the pid stays the daemon's: a prefix
   * (`nsenter -t PID -n --`), or a function of the command line (netns.ts inPrivateNet).
   */
  wrap?: readonly string[] | ((command: string, args: readonly string[]) => [string, string[]]);
} = {}): Promise<RunningDaemon> {
  const hasListen = args.includes('--listen');
  // Tests never read the host's resolver list (the system resolver is not on loopback here).
  const resolvConf = args.includes('--resolv-conf') ? [] : ['--resolv-conf', '/dev/null'];
  const fullArgs = [MAIN, 'serve', ...(hasListen ? [] : ['--listen', '127.0.0.1', '--listen', '::1']), ...(args.includes('--dns-port') ? [] : ['--dns-port', '0']), ...(args.includes('--ntp-port') ? [] : ['--ntp-port', '0']), ...resolvConf, ...args];
  const wrap = options.wrap;
  const [command, commandArgs] = wrap === undefined ? [process.execPath, fullArgs]
    : typeof wrap === 'function' ? wrap(process.execPath, fullArgs) : [wrap[0]!, [...wrap.slice(1), process.execPath, ...fullArgs]];
  // Port 0 means "any free port" only for test runs (for a user it is an error, or no NTP server).
  const child = spawn(command, commandArgs, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CAMSHIM_TEST_EPHEMERAL_PORTS: '1', ...options.env } });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => { stderr += chunk; });
  const waiters = new Set<{ predicate: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }>();
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: Record<string, unknown>;
    try { line = JSON.parse(text) as Record<string, unknown>; } catch { line = { unparsed: text }; }
    logs.push(line);
    for (const waiter of [...waiters]) if (waiter.predicate(line)) { waiters.delete(waiter); waiter.resolve(line); }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  const waitForLog = (predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 5000, since?: number): Promise<Record<string, unknown>> => {
    if (since !== undefined) {
      const seen = logs.slice(since).find(predicate);
      if (seen !== undefined) return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const waiter = { predicate, resolve: (line: Record<string, unknown>) => { clearTimeout(timer); resolve(line); } };
      const timer = setTimeout(() => { waiters.delete(waiter); reject(new Error(`no matching log line within ${timeoutMs} ms; stderr: ${stderr}; last logs: ${JSON.stringify(logs.slice(-5))}`)); }, timeoutMs);
      waiters.add(waiter);
      void exited.then(() => { if (waiters.has(waiter)) { clearTimeout(timer); waiters.delete(waiter); reject(new Error(`daemon exited; stderr: ${stderr}`)); } });
    });
  };
  const start = await waitForLog((line) => line.event === 'start', options.timeoutMs ?? 10_000);
  const endpoints = (start.listen as string[]).map((text) => {
    const match = /^(udp|tcp):\/\/\[?([^\]]+?)\]?:(\d+)$/.exec(text)!;
    return { protocol: match[1] as 'udp' | 'tcp', address: match[2]!, port: Number(match[3]) };
  });
  return {
    process: child, endpoints, logs, stderr: () => stderr, waitForLog,
    port(protocol, family) {
      const endpoint = endpoints.find((e) => e.protocol === protocol && (family === 6) === e.address.includes(':'));
      if (endpoint === undefined) throw new Error(`no ${protocol} IPv${family} endpoint in ${JSON.stringify(endpoints)}`);
      return endpoint.port;
    },
    stop: () => stopChild(child, exited),
  };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (`exited`: the child's exit, already awaited by the caller's own listener). */
export async function stopChild(child: ChildProcess, exited: Promise<number | null>, graceMs = 5000): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

/** Runs the CLI to completion and returns its exit code and output. */
export function runCli(args: readonly string[], options: { timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`camshim ${args.join(' ')} timed out`)); }, options.timeoutMs ?? 15_000);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}
