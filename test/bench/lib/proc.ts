import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second for /proc/<pid>/stat times: 100 on every Linux this runs on. */
export const TICKS_PER_SECOND = 100;

/** Starts `command` pinned to `cpus` (taskset list, e.g. "0"), output to the given fds. */
export function spawnPinned(cpus: string, command: string, args: readonly string[], stdio: { out: number | 'ignore'; err: number | 'ignore' }): ChildProcess {
  return spawn('taskset', ['-c', cpus, command, ...args], { stdio: ['ignore', stdio.out, stdio.err] });
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The process and all its descendants (cluster workers). */
export function processTree(pid: number): number[] {
  const result = [pid];
  for (let i = 0; i < result.length && i < 64; i++) result.push(...childrenOf(result[i]!));
  return result;
}

/** User + system CPU seconds of a process tree. */
export function cpuSeconds(pid: number): number {
  let ticks = 0;
  for (const id of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${id}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch { /* exited between listing and reading */ }
  }
  return ticks / TICKS_PER_SECOND;
}

/** Resident set size of a process tree, in bytes. */
export function rssBytes(pid: number): number {
  let kb = 0;
  for (const id of processTree(pid)) {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${id}/status`, 'utf8'));
      if (match) kb += Number(match[1]);
    } catch { /* gone */ }
  }
  return kb * 1024;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs a command to completion (bounded by `timeoutMs`), pinned (and niced when `nice` > 0); resolves with its stdout. */
export function runPinned(cpus: string, command: string, args: readonly string[], timeoutMs: number, nice = 0): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const pinned = ['taskset', '-c', cpus, command, ...args];
    const full = nice > 0 ? ['nice', '-n', String(nice), ...pinned] : pinned;
    const child = spawn(full[0]!, full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => { clearTimeout(timer); reject(error); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/** Sends SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stopProcess(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
