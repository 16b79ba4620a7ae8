import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { ipKey } from './ip-key.js';
import { normalizeMac } from './mac.js';

/**
 * The kernel's neighbour table (ARP for IPv4, NDP for IPv6): which MAC answered for an
 * address on a directly attached network. It names the camera's MAC even without a DHCP
 * lease (static addresses). Reading it sends nothing on the network: `/proc/net/arp` is a
 * file and `ip neigh show` asks the kernel over netlink.
 */

export interface NeighbourEntry {
  /** Address in `ipKey` form. */
  readonly ip: string;
  readonly mac: string;
  readonly device?: string;
}

/** One read of the table; throws when a source cannot be read (the directory reports it). */
export type NeighbourReader = () => Promise<readonly NeighbourEntry[]>;

/**
 * `/proc/net/arp`:
 *
 *   IP address       HW type     Flags       HW address            Mask     Device
 *   192.168.20.31    0x1         0x2         5c:e9:31:aa:bb:cc     *        br-cams
 *
 * Flags 0x0 is an incomplete entry (no answer yet) and is left out, as are lines that are
 * not an address and a MAC.
 */
export function parseProcNetArp(text: string): NeighbourEntry[] {
  const entries: NeighbourEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 4) continue;
    const [ipText = '', , flags = '', macText = ''] = fields;
    const ip = ipKey(ipText);
    if (ip === undefined || ip.includes(':')) continue; // also the header line
    if (!/^0x[0-9a-f]+$/i.test(flags) || (parseInt(flags, 16) & 0x2) === 0) continue; // ATF_COM: complete
    const mac = normalizeMac(macText);
    if (mac === undefined) continue;
    entries.push(neighbour(ip, mac, fields[5]));
  }
  return entries;
}

/**
 * `ip neigh show` / `ip -6 neigh show`:
 *
 *   192.168.20.31 dev br-cams lladdr 5c:e9:31:aa:bb:cc REACHABLE
 *   fe80::5ee9:31ff:feaa:bbcc dev br-cams lladdr 5c:e9:31:aa:bb:cc router STALE
 *   192.168.20.40 dev br-cams FAILED
 *
 * Entries without `lladdr` (INCOMPLETE, FAILED) are left out.
 */
export function parseIpNeigh(text: string): NeighbourEntry[] {
  const entries: NeighbourEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const ip = ipKey(fields[0] ?? '');
    if (ip === undefined) continue;
    const at = fields.indexOf('lladdr');
    if (at === -1) continue;
    const mac = normalizeMac(fields[at + 1] ?? '');
    if (mac === undefined) continue;
    const devAt = fields.indexOf('dev');
    entries.push(neighbour(ip, mac, devAt === -1 ? undefined : fields[devAt + 1]));
  }
  return entries;
}

function neighbour(ip: string, mac: string, device: string | undefined): NeighbourEntry {
  return device === undefined || device === '' ? { ip, mac } : { ip, mac, device };
}

/** Upper bound on the output read from `ip`: a router's table is a few thousand lines. */
const IP_OUTPUT_LIMIT = 8 * 1024 * 1024;
const IP_TIMEOUT_MS = 5000;

/**
 * The host's table: IPv4 from `/proc/net/arp` (a file read, no process), IPv6 from
 * `ip -6 neigh show`. A source that fails is reported through the thrown error only when
 * both fail; one that works is enough (a host without IPv6, or without `ip`).
 */
export function systemNeighbourReader(options: { procArpPath?: string; ipCommand?: string } = {}): NeighbourReader {
  const procArpPath = options.procArpPath ?? '/proc/net/arp';
  const ipCommand = options.ipCommand ?? 'ip';
  return async () => {
    const [v4, v6] = await Promise.allSettled([
      readFile(procArpPath, 'utf8').then(parseProcNetArp),
      runIp(ipCommand, ['-6', 'neigh', 'show']).then(parseIpNeigh),
    ]);
    if (v4.status === 'rejected' && v6.status === 'rejected') {
      throw new AggregateError([v4.reason, v6.reason], `cannot read ${procArpPath} or run "${ipCommand} -6 neigh show"`);
    }
    return [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
  };
}

function runIp(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: 'utf8', timeout: IP_TIMEOUT_MS, maxBuffer: IP_OUTPUT_LIMIT, env: { LC_ALL: 'C', PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' } }, (error, stdout) => {
      if (error !== null) reject(error);
      else resolve(stdout);
    });
  });
}
