/**
 * NTP requests per second. Two roles, each run pinned by the bench:
 *   node dist/test/bench/ntp-load.js server          -> starts startNtpServer on 127.0.0.1:0, prints {"port":N}
 *   node dist/test/bench/ntp-load.js client PORT SEC -> keeps WINDOW requests in flight for SEC seconds, prints {"replies":N,"seconds":S}
 * The rate limiter is opened wide: this measures the request path, not the limiter.
 */
import dgram from 'node:dgram';
import pino from 'pino';
import { startNtpServer } from '../../src/ntp/server.js';

const WINDOW = 64;

async function server(): Promise<void> {
  const handle = await startNtpServer({
    listen: ['127.0.0.1'], port: 0, stratum: 3, localStratum: 10, notBefore: new Date('2020-01-01T00:00:00Z'),
    rateLimit: { enabled: true, ratePerSecond: 1_000_000, burst: 1_000_000, maxClients: 4096, overLimit: 'drop', leakProbability: 0 },
  }, { logger: pino({ level: 'silent' }), classify: () => ({ allowed: true, group: 'default' }) });
  process.stdout.write(`${JSON.stringify({ port: handle.addresses()[0]!.port })}\n`);
  const stop = (): void => { void handle.close().then(() => process.exit(0)); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function client(port: number, seconds: number): Promise<void> {
  const socket = dgram.createSocket('udp4');
  const request = Buffer.alloc(48);
  request[0] = 0x23; // LI 0, version 4, mode 3 (client)
  let replies = 0;
  let running = true;
  const started = performance.now();
  socket.on('message', () => {
    replies++;
    if (running) socket.send(request, port, '127.0.0.1');
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  for (let i = 0; i < WINDOW; i++) socket.send(request, port, '127.0.0.1');
  // Lost datagrams would shrink the window: top it up every 100 ms.
  let lastReplies = 0;
  const topUp = setInterval(() => {
    if (replies === lastReplies) for (let i = 0; i < WINDOW; i++) socket.send(request, port, '127.0.0.1');
    lastReplies = replies;
  }, 100);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  running = false;
  clearInterval(topUp);
  const elapsed = (performance.now() - started) / 1000;
  socket.close();
  process.stdout.write(`${JSON.stringify({ replies, seconds: elapsed })}\n`);
}

const [role, port, seconds] = process.argv.slice(2);
if (role === 'server') await server();
else if (role === 'client') await client(Number(port), Math.min(60, Number(seconds ?? 3)));
else { process.stderr.write('usage: ntp-load.js server | client PORT SECONDS\n'); process.exitCode = 2; }
