import ipaddr from 'ipaddr.js';
import { CamshimError } from '../errors.js';

/** Which records a report counts. Time bounds are ms since the epoch. */
export interface ReportFilter {
  readonly sinceMs: number | undefined;
  readonly untilMs: number | undefined;
  readonly client: ((address: string) => boolean) | undefined;
  readonly domain: ((name: string) => boolean) | undefined;
}

const UNITS_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * `--since`/`--until`: relative (`90s`, `30m`, `24h`, `7d`, `2w`: that long before `nowMs`),
 * `today` / `yesterday` (local midnight), or an absolute date or time (`2026-12-01`,
 * `2026-12-01T08:00`, `2026-12-01T08:00:00Z`).
 */
export function parseTimeBound(text: string, option: string, nowMs: number): number {
  const trimmed = text.trim();
  const relative = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(trimmed);
  if (relative !== null) return nowMs - Number(relative[1]) * UNITS_MS[relative[2]!.toLowerCase()]!;
  if (trimmed === 'today' || trimmed === 'yesterday') {
    const midnight = new Date(nowMs);
    midnight.setHours(0, 0, 0, 0);
    return midnight.getTime() - (trimmed === 'yesterday' ? UNITS_MS.d! : 0);
  }
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(trimmed)) {
    const parsed = Date.parse(trimmed.replace(' ', 'T'));
    if (Number.isFinite(parsed)) return parsed;
  }
  throw new CamshimError('CLI_USAGE', `--${option} ${JSON.stringify(text)} is not a time: use a duration back from now (30m, 24h, 7d), today, yesterday, or a date and time (2026-12-01, 2026-12-01T08:00)`);
}

/** `--client`: an address or a CIDR block, IPv4 or IPv6. */
export function parseClientFilter(text: string): (address: string) => boolean {
  let range: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    range = text.includes('/') ? ipaddr.parseCIDR(text) : (() => {
      const address = ipaddr.parse(text);
      return [address, address.kind() === 'ipv4' ? 32 : 128] as [ipaddr.IPv4 | ipaddr.IPv6, number];
    })();
  } catch {
    throw new CamshimError('CLI_USAGE', `--client ${JSON.stringify(text)} is not an address or CIDR block (192.168.20.0/24, fd20::/64, 192.168.20.31)`);
  }
  const [network, bits] = range;
  const cache = new Map<string, boolean>();
  return (address) => {
    let hit = cache.get(address);
    if (hit === undefined) {
      try {
        let parsed = ipaddr.parse(address.split('%', 1)[0]!);
        if (parsed.kind() === 'ipv6' && network.kind() === 'ipv4' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
        hit = parsed.kind() === network.kind() && parsed.match(network, bits);
      } catch {
        hit = false;
      }
      // Bounded: a log holds few distinct clients, but a hostile one must not grow this without end.
      if (cache.size < 65_536) cache.set(address, hit);
    }
    return hit;
  };
}

/** `--domain`: the name itself and every name below it. */
export function parseDomainFilter(text: string): (name: string) => boolean {
  const suffix = text.trim().toLowerCase().replace(/^\*?\./, '').replace(/\.$/, '');
  if (suffix === '') throw new CamshimError('CLI_USAGE', '--domain needs a name, such as tplinkcloud.com');
  const dotted = `.${suffix}`;
  return (name) => {
    const lower = name.toLowerCase();
    return lower === suffix || lower.endsWith(dotted);
  };
}

export function inWindow(filter: ReportFilter, timeMs: number): boolean {
  return (filter.sinceMs === undefined || timeMs >= filter.sinceMs) && (filter.untilMs === undefined || timeMs < filter.untilMs);
}
