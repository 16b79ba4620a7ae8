/**
 * Runs one client-test NTP server (client-servers.ts) as its own process, so a test can start it
 * inside a private network namespace (test/helpers/netns.ts) and bind port 123 there, never on the host.
 * Usage: node server-process.js synced|implausible PORT ADDRESS...
 * Prints one JSON line with the bound addresses once it serves; stops when stdin closes (the test
 * ended, or died) or on SIGTERM.
 */
import { startClientTestServer, type ClientTestServerKind } from './client-servers.js';

const [kind, port, ...listen] = process.argv.slice(2);
if ((kind !== 'synced' && kind !== 'implausible') || port === undefined || !/^\d+$/.test(port) || listen.length === 0) {
  process.stderr.write('usage: server-process.js synced|implausible PORT ADDRESS...\n');
  process.exit(2);
}
const server = await startClientTestServer(kind as ClientTestServerKind, Number(port), listen);
const stop = (): void => { void server.close().then(() => process.exit(0)); };
process.stdin.on('end', stop).resume();
process.on('SIGTERM', stop);
process.stdout.write(`${JSON.stringify({ addresses: server.addresses() })}\n`);
