import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

/**
 * A stand-in for systemd's NOTIFY_SOCKET: a unix datagram socket (Node cannot open one, so a
 * python3 child holds it) that reports every message it reads, one JSON string per line.
 * It reads with recv(), so file descriptors passed alongside (systemd-notify's barrier) are
 * closed by the kernel, as the real manager closes them once it has read the message.
 */
const SCRIPT = [
  'import json, socket, sys',
  's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
  's.bind(sys.argv[1])',
  'print(json.dumps("listening"), flush=True)',
  'while True:',
  '    print(json.dumps(s.recv(65536).decode("utf-8", "replace")), flush=True)',
].join('\n');

export interface FakeNotifySocket {
  readonly path: string;
  readonly messages: string[];
  /** Resolves with the first message (already read or to come) containing `text`; rejects after `timeoutMs`. */
  waitFor(text: string, timeoutMs: number): Promise<string>;
  close(): void;
}

export async function fakeNotifySocket(dir: string): Promise<FakeNotifySocket> {
  const socketPath = path.join(dir, 'notify.sock');
  const child: ChildProcess = spawn('python3', ['-c', SCRIPT, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  const messages: string[] = [];
  const waiters = new Set<{ text: string; resolve: (m: string) => void }>();
  let listening: () => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    listening = resolve;
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`fake notify socket exited (${String(code)})`)));
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const message = JSON.parse(line) as string;
    if (message === 'listening') { listening(); return; }
    messages.push(message);
    for (const waiter of [...waiters]) if (message.includes(waiter.text)) { waiters.delete(waiter); waiter.resolve(message); }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await ready.finally(() => clearTimeout(timer));
  return {
    path: socketPath,
    messages,
    waitFor(text, timeoutMs) {
      const seen = messages.find((m) => m.includes(text));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = { text, resolve: (m: string) => { clearTimeout(t); resolve(m); } };
        const t = setTimeout(() => { waiters.delete(waiter); reject(new Error(`no notify message with ${text} within ${timeoutMs} ms; got ${JSON.stringify(messages)}`)); }, timeoutMs);
        waiters.add(waiter);
      });
    },
    close() { child.kill('SIGKILL'); },
  };
}
