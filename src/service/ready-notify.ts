import { execFile } from 'node:child_process';

/**
 * Tells systemd the service is ready (`Type=notify`): once DNS sockets are bound and answering,
 * so `systemctl start` returns, and units ordered after camshim start, only when cameras get
 * answers.
 *
 * Node cannot send a unix datagram, and NOTIFY_SOCKET is a datagram socket, so the message goes
 * through `systemd-notify`. Its sender is then a child process, not the main PID: the unit needs
 * `NotifyAccess=all`. `--pid` names this process as the main one, and systemd-notify waits until
 * the manager has read the message (it would otherwise race its own exit, and a message whose
 * sender has gone cannot be matched to the unit).
 *
 * Outside systemd (no NOTIFY_SOCKET) nothing is run.
 */

export const NOTIFY_TIMEOUT_MS = 5000;

export type NotifyResult =
  | { readonly sent: false; readonly reason: 'no NOTIFY_SOCKET' }
  | { readonly sent: true; readonly ok: boolean; readonly detail: string };

export type CommandRunner = (command: string, args: readonly string[], timeoutMs: number) => Promise<{ ok: boolean; detail: string }>;

export const runCommand: CommandRunner = (command, args, timeoutMs) => new Promise((resolve) => {
  execFile(command, [...args], { timeout: timeoutMs }, (error, _stdout, stderr) => {
    if (error === null) { resolve({ ok: true, detail: '' }); return; }
    const e = error as NodeJS.ErrnoException & { signal?: string | null };
    const why = typeof e.code === 'string' ? e.code : e.signal ? `signal ${e.signal}` : `exit ${String(e.code ?? '?')}`;
    resolve({ ok: false, detail: `${command}: ${why}${String(stderr).trim() === '' ? '' : `: ${String(stderr).trim()}`}` });
  });
});

/** Sends READY=1 (with MAINPID and a status line) when started by systemd as a notify service. */
export async function notifyReady(status: string, options: {
  readonly env?: NodeJS.ProcessEnv; readonly pid?: number; readonly run?: CommandRunner;
} = {}): Promise<NotifyResult> {
  const env = options.env ?? process.env;
  const socket = env.NOTIFY_SOCKET;
  if (socket === undefined || socket === '') return { sent: false, reason: 'no NOTIFY_SOCKET' };
  const run = options.run ?? runCommand;
  const result = await run('systemd-notify', ['--ready', `--pid=${options.pid ?? process.pid}`, `--status=${status}`], NOTIFY_TIMEOUT_MS);
  return { sent: true, ok: result.ok, detail: result.ok ? `READY=1 sent to ${socket}` : result.detail };
}

/**
 * Resolves once `serving()` is true: at once when it already is, else checked every
 * `intervalMs` (the sockets follow the machine's addresses, which camshim re-reads on its own
 * poll). A daemon whose listen addresses are not on the machine yet (a VLAN interface that comes
 * up later) is not ready until one is: until then DNS does not answer. The timer does not keep
 * the process alive.
 */
export function whenServing(serving: () => boolean, intervalMs = 500): Promise<void> {
  if (serving()) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (!serving()) return;
      clearInterval(timer);
      resolve();
    }, intervalMs);
    timer.unref();
  });
}
