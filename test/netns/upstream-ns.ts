/**
 * Private network namespaces for the upstream-outage tests: a namespace held open by a `sleep`
 * made with `unshare -n` (root) or `unshare -rn` (a user namespace otherwise), commands run in
 * it through `nsenter`, and the daemon started in it. Nothing these tests do leaves it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { MAIN } from '../helpers/daemon.js';

const asRoot = process.getuid?.() === 0;

export interface Ran { code: number | null; stdout: string; stderr: string }

export interface Netns {
  readonly pid: number;
  /** Runs a command in the namespace to completion (killed after `timeoutMs`). */
  run(command: string, args: readonly string[], timeoutMs?: number): Promise<Ran>;
  /** Runs a command in the namespace and throws with its output unless it exits 0. */
  must(command: string, args: readonly string[]): Promise<string>;
  spawn(command: string, args: readonly string[]): ChildProcess;
  close(): Promise<void>;
}

function enterArgs(pid: number): string[] {
  // As root the parent user namespace already holds every capability over the new one.
  return asRoot ? ['-t', String(pid), '-n'] : ['-t', String(pid), '-U', '-n', '--preserve-credentials'];
}

function runProcess(command: string, args: readonly string[], timeoutMs: number): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => { clearTimeout(timer); resolve({ code: -1, stdout, stderr: stderr + error.message }); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/** Why namespaces cannot be used here, or undefined when they can. */
export async function netnsUnavailable(): Promise<string | undefined> {
  for (const tool of ['unshare', 'nsenter', 'ip']) {
    const found = await runProcess('sh', ['-c', `command -v ${tool}`], 5000);
    if (found.code !== 0) return `${tool} is not installed`;
  }
  const tried = await runProcess('unshare', asRoot ? ['-n', 'ip', 'link', 'set', 'lo', 'up'] : ['-rn', 'ip', 'link', 'set', 'lo', 'up'], 5000);
  if (tried.code !== 0) return `cannot create a network namespace (unshare ${asRoot ? '-n' : '-rn'}): ${tried.stderr.trim()}`;
  return undefined;
}

/** A fresh network namespace with only `lo`, up. */
export async function createNetns(): Promise<Netns> {
  const holder = spawn('unshare', [asRoot ? '-n' : '-rn', 'sleep', '3600'], { stdio: 'ignore' });
  const pid = holder.pid;
  if (pid === undefined) throw new Error('unshare did not start');
  const exited = new Promise<void>((resolve) => holder.on('exit', () => resolve()));
  const run = (command: string, args: readonly string[], timeoutMs = 10_000): Promise<Ran> =>
    runProcess('nsenter', [...enterArgs(pid), command, ...args], timeoutMs);
  const netns: Netns = {
    pid,
    run,
    async must(command, args) {
      const ran = await run(command, args);
      if (ran.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${ran.code}): ${ran.stderr}`);
      return ran.stdout;
    },
    spawn: (command, args) => spawn('nsenter', [...enterArgs(pid), command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }),
    async close() {
      holder.kill('SIGKILL');
      await exited;
    },
  };
  // unshare execs sleep once the namespace exists: wait until the process is in a namespace of its own.
  for (let attempt = 0; attempt < 50; attempt++) {
    if ((await run('ip', ['link', 'set', 'lo', 'up'], 5000)).code === 0) return netns;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await netns.close();
  throw new Error('the namespace did not come up');
}

export interface NsDaemon {
  readonly logs: Record<string, unknown>[];
  readonly exited: () => boolean;
  readonly stderr: () => string;
  waitForLog(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(): Promise<number | null>;
}

/** `camshim serve ARGS` inside the namespace; resolves once it logged `predicate` (default: the start line). */
export async function startNsDaemon(netns: Netns, args: readonly string[]): Promise<NsDaemon> {
  const child = netns.spawn(process.execPath, [MAIN, 'serve', ...args]);
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  createInterface({ input: child.stdout! }).on('line', (text) => {
    try { logs.push(JSON.parse(text) as Record<string, unknown>); } catch { logs.push({ unparsed: text }); }
  });
  const daemon: NsDaemon = {
    logs,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    stderr: () => stderr,
    async waitForLog(predicate, timeoutMs = 10_000) {
      const until = performance.now() + timeoutMs;
      while (performance.now() < until) {
        const found = logs.find(predicate);
        if (found !== undefined) return found;
        if (daemon.exited()) throw new Error(`daemon exited; stderr: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`no matching log line within ${timeoutMs} ms; stderr: ${stderr}; last logs: ${JSON.stringify(logs.slice(-5))}`);
    },
    async stop() {
      if (daemon.exited()) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  await daemon.waitForLog((line) => line.event === 'start');
  return daemon;
}

/** One dig query in the namespace: its status (NOERROR, NXDOMAIN, SERVFAIL, or TIMEOUT), answers and time taken. */
export async function digIn(netns: Netns, server: string, name: string, type = 'A'): Promise<{ status: string; answers: string[]; ms: number }> {
  const started = performance.now();
  const ran = await netns.run('dig', ['+tries=1', '+time=4', `@${server}`, name, type], 10_000);
  const ms = performance.now() - started;
  const status = /status: (\w+)/.exec(ran.stdout)?.[1] ?? 'TIMEOUT';
  const answers = ran.stdout.split('\n').filter((line) => line !== '' && !line.startsWith(';')).map((line) => line.split(/\s+/).pop()!);
  return { status, answers, ms };
}
