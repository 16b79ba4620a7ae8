/**
 * The floor for any Node DNS server on this machine: one raw dgram socket that answers every
 * query NXDOMAIN by flipping two header bytes of the query itself. No parse, no lookup, no log,
 * no scheduling. The bench runs it beside camshim so that camshim's own cost stands apart from
 * Node's per-datagram cost and from the machine's noise, measured in the same rounds.
 *
 * Usage: node node-floor-server.js PORT   (binds 127.0.0.1 only)
 */
import dgram from 'node:dgram';
import { literalLookup } from '../../../src/servers/udp-server.js';

const HEADER_BYTES = 12;
const QR = 0x80;
/** RA set, RCODE 3 (NXDOMAIN). */
const RA_NXDOMAIN = 0x83;

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  process.stderr.write('usage: node-floor-server PORT\n');
  process.exit(2);
}
// Replies go to the literal address a query came from: no name lookup (camshim's own lookup).
const socket = dgram.createSocket({ type: 'udp4', lookup: literalLookup as never });
socket.on('message', (query, from) => {
  if (query.length < HEADER_BYTES || (query[2]! & QR) !== 0) return;
  query[2] = query[2]! | QR;
  query[3] = RA_NXDOMAIN;
  socket.send(query, from.port, from.address);
});
socket.bind(port, '127.0.0.1');
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => socket.close(() => process.exit(0)));
