/**
 * Private network namespaces for tests that need well-known ports (53, 123) or addresses the host
 * must not see. A process is started in a new namespace with only loopback, up; other commands are
 * run in the same namespace with nsenter, so the namespace lives exactly as long as that process.
 * As root this is `unshare -n`; as another user, `unshare -rn` (a user namespace owns the network
 * namespace, so the process may bind low ports there) where the kernel allows it.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

const isRoot = process.getuid?.() === 0;

/**
 * The command line that starts `command args` in a new network namespace where lo is up (127.0.0.1
 * and ::1). unshare and sh exec, so the started process's pid is the command's, and
 * /proc/PID/ns/net names the namespace.
 */
export function inPrivateNet(command: string, args: readonly string[]): [string, string[]] {
  return ['unshare', [...(isRoot ? ['-n'] : ['-r', '-n']), 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', command, ...args]];
}

/** nsenter's command line that runs `command args` in the network namespace of process `pid` (started by inPrivateNet). */
export function enterNet(pid: number, command: string, args: readonly string[]): [string, string[]] {
  const ns = (kind: string): string => `/proc/${pid}/ns/${kind}`;
  return ['nsenter', [
    ...(isRoot ? [`--net=${ns('net')}`] : [`--user=${ns('user')}`, `--net=${ns('net')}`, '--preserve-credentials']),
    command, ...args,
  ]];
}

export interface NetnsProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** The command line that runs `command args` inside this process's network namespace. */
  enter(command: string, args: readonly string[]): [string, string[]];
}

/** Spawns `command args` in a new network namespace (inPrivateNet), with piped stdio. */
export function spawnInPrivateNet(command: string, args: readonly string[]): NetnsProcess {
  const child = spawn(...inPrivateNet(command, args), { stdio: ['pipe', 'pipe', 'pipe'] });
  return { child, enter: (cmd, cmdArgs) => enterNet(child.pid!, cmd, cmdArgs) };
}

/** Why a private network namespace cannot be made here (the reason to skip with), or null when it can. */
export function privateNetUnavailable(): Promise<string | null> {
  return new Promise((resolve) => {
    const probe = spawnInPrivateNet('true', []);
    let stderr = '';
    probe.child.stdin.end();
    probe.child.stdout.resume();
    probe.child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    probe.child.on('error', (error) => resolve(`cannot run unshare: ${error.message}`));
    probe.child.on('close', (code) => resolve(code === 0 ? null
      : `no private network namespace (unshare ${isRoot ? '-n' : '-rn'} exit ${String(code)}: ${stderr.trim()}); run the tests as root`));
  });
}
