import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { encodeQuery } from '../../src/wire/encode-query.js';
import { tempDir } from '../helpers/daemon.js';
import { udpExchange } from '../helpers/udp.js';
import { freePort } from './helpers.js';

export interface Dnsmasq { readonly port: number; readonly label: string; stop(): Promise<void> }

/**
 * A real dnsmasq on 127.0.0.1 serving only what the test gives it (no resolv.conf, no hosts file,
 * no config file). `extra` adds options such as --server=127.0.0.1#PORT.
 */
export async function startDnsmasq(extra: readonly string[] = []): Promise<Dnsmasq> {
  const dir = await tempDir();
  const port = await freePort();
  const txt = Array.from({ length: 30 }, (_, i) => `--txt-record=big.example.test,"${String(i).padStart(2, '0')}-${'t'.repeat(60)}"`);
  const args = [
    '--no-daemon', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', '--port', String(port),
    '--listen-address', '127.0.0.1', '--bind-interfaces', `--pid-file=${path.join(dir, 'pid')}`, '--local-ttl=300', '--cache-size=0',
    '--address=/example.test/192.0.2.1', ...txt, ...extra,
  ];
  let child: ChildProcess;
  try {
    child = spawn('dnsmasq', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    throw new Error(`cannot start dnsmasq: ${(error as Error).message}`);
  }
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const spawnError = new Promise<never>((_, reject) => child.on('error', (error) => reject(
    (error as NodeJS.ErrnoException).code === 'ENOENT' ? new Error('dnsmasq is not installed: apt-get install dnsmasq-base') : error)));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const ready = (async (): Promise<void> => {
    for (let attempt = 0; attempt < 40; attempt++) {
      if (child.exitCode !== null) throw new Error(`dnsmasq exited: ${stderr}`);
      if (await udpExchange('127.0.0.1', port, encodeQuery('ready.example.test', 1, { id: 1 }), 100) !== null) return;
    }
    throw new Error(`dnsmasq did not answer on port ${port}: ${stderr}`);
  })();
  await Promise.race([ready, spawnError]);
  return {
    port, label: `127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
