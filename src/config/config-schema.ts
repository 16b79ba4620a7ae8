import {
  boolean, cidr, domainName, integer, ipAddress, ipv4Address, ipv6Address, list, number, object, oneOf, optional,
  required, string, withDefault, type Infer,
} from './schema.js';

/**
 * The whole config file, one section per feature. Every default lives here, so the embedded
 * defaults (no config file) and a partial file give the same result.
 */

/** Networks that may query by default: never an open resolver. */
export const PRIVATE_NETWORKS = [
  '127.0.0.0/8', '::1/128',
  '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16',
  '100.64.0.0/10',
  '169.254.0.0/16', 'fe80::/10',
  'fc00::/7',
];

const unlistedPolicy = oneOf(['forward', 'nxdomain', 'refuse'] as const);

const dnsSection = object({
  listen: withDefault(list(ipAddress(), { min: 1 }), ['0.0.0.0', '::']),
  port: withDefault(integer(0, 65535), 53),
  tcp: withDefault(object({
    enabled: withDefault(boolean(), true),
    idleTimeoutMs: withDefault(integer(100, 600_000), 10_000),
    maxConnections: withDefault(integer(1, 100_000), 256),
  }), {}),
  /** EDNS payload size we advertise and the most we send over UDP. */
  ednsPayload: withDefault(integer(512, 4096), 1232),
  /** TTL of the SOA on NXDOMAIN/NODATA answers camshim makes (RFC 2308 negative caching). */
  negativeTtl: withDefault(integer(0, 604_800), 3600),
  /** Processes answering queries on the same sockets (one per core); 1: no cluster. Each holds its own list table. */
  workers: withDefault(integer(1, 64), 1),
  /**
   * Per-client query rate limit (token bucket per source address, bounded table). Off by
   * default: a NAT or a DNS forwarder in front of camshim puts many clients behind one address.
   */
  rateLimit: withDefault(object({
    enabled: withDefault(boolean(), false),
    queriesPerSecond: withDefault(number(0.1, 1_000_000), 50),
    burst: withDefault(integer(1, 1_000_000), 100),
    maxClients: withDefault(integer(16, 1_000_000), 4096),
    overLimit: withDefault(oneOf(['refuse', 'drop'] as const), 'refuse'),
  }), {}),
});

const accessSection = object({
  allow: withDefault(list(cidr()), PRIVATE_NETWORKS),
});

const groupPolicy = {
  lists: withDefault(list(string({ expected: 'a list name or "*"' })), ['*']),
  unlisted: withDefault(unlistedPolicy, 'forward'),
  ntpRedirect: withDefault(boolean(), true),
};

const groupSection = object({
  name: required(string({ pattern: /^[A-Za-z0-9_.-]{1,64}$/, expected: 'a name of letters, digits, _ . -' })),
  clients: required(list(cidr(), { min: 1 })),
  ...groupPolicy,
});

const listSource = object({
  path: required(string({ expected: 'a file or folder path' })),
  kind: withDefault(oneOf(['block', 'allow'] as const), 'block'),
  /** Name groups use to refer to it; default: the file name without .list/.txt. Folders ignore it. */
  name: optional(string({ pattern: /^[A-Za-z0-9_.-]{1,64}$/, expected: 'a name of letters, digits, _ . -' })),
});

const listsSection = object({
  /** Load the vendor lists shipped in camshim's lists/ folder. */
  bundled: withDefault(boolean(), true),
  sources: withDefault(list(listSource), []),
  /** Names that may be sinkholed despite the never-block list (explicit user override). */
  neverBlockOverride: withDefault(list(domainName()), []),
  /** Compiled list cache: big lists load from it on restart; rebuilt whenever a source or these settings change. */
  cache: withDefault(object({
    enabled: withDefault(boolean(), true),
    dir: withDefault(string({ expected: 'a folder path' }), '/var/cache/camshim'),
    /** Smaller list sets load from text in milliseconds: no cache file is written for them. */
    minRules: withDefault(integer(0, 100_000_000), 20_000),
  }), {}),
});

const ntpRedirectSection = object({
  enabled: withDefault(boolean(), true),
  /** Extra NTP names, on top of the bundled ntp-hosts list; each covers its subdomains. */
  names: withDefault(list(domainName()), []),
  /** Address to answer A queries with; default: camshim's address on the interface facing the client. */
  ipv4: optional(ipv4Address()),
  ipv6: optional(ipv6Address()),
  ttl: withDefault(integer(0, 86_400), 60),
});

const ntpSection = object({
  enabled: withDefault(boolean(), true),
  /** Addresses to bind; default: the DNS listen addresses. */
  listen: optional(list(ipAddress(), { min: 1 })),
  port: withDefault(integer(0, 65535), 123),
  stratum: withDefault(integer(1, 15), 3),
  localStratum: withDefault(integer(1, 15), 10),
  rateLimit: withDefault(object({
    ratePerSecond: withDefault(number(0.01, 1000), 0.5),
    burst: withDefault(integer(1, 1000), 8),
    maxClients: withDefault(integer(16, 1_000_000), 4096),
    overLimit: withDefault(oneOf(['kod', 'drop'] as const), 'kod'),
    leakProbability: withDefault(number(0, 1), 0.1),
  }), {}),
});

const upstreamSection = object({
  /** HOST or HOST:PORT ([v6]:PORT). Empty: read /etc/resolv.conf. */
  servers: withDefault(list(string({ expected: 'an address, optionally with :port' })), []),
  /** Where the system's resolver list is read from when `servers` is empty. */
  resolvConf: withDefault(string({ expected: 'a file path' }), '/etc/resolv.conf'),
  timeoutMs: withDefault(integer(50, 30_000), 2000),
  maxOutstanding: withDefault(integer(1, 100_000), 1024),
  cache: withDefault(object({
    maxEntries: withDefault(integer(0, 10_000_000), 10_000),
    maxBytes: withDefault(integer(0, 2_000_000_000), 16 * 1024 * 1024),
    minTtl: withDefault(integer(0, 86_400), 0),
    maxTtl: withDefault(integer(0, 604_800), 86_400),
  }), {}),
});

const logSection = object({
  level: withDefault(oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const), 'info'),
});

export const configSchema = object({
  dns: withDefault(dnsSection, {}),
  access: withDefault(accessSection, {}),
  groups: withDefault(list(groupSection), []),
  /** Policy for clients in no group. */
  defaultGroup: withDefault(object(groupPolicy), {}),
  lists: withDefault(listsSection, {}),
  ntpRedirect: withDefault(ntpRedirectSection, {}),
  ntp: withDefault(ntpSection, {}),
  upstream: withDefault(upstreamSection, {}),
  log: withDefault(logSection, {}),
});

export type Config = Infer<typeof configSchema>;
export type GroupConfig = Infer<typeof groupSection>;
export type UnlistedPolicy = Infer<typeof unlistedPolicy>;
export type ListSourceConfig = Infer<typeof listSource>;
