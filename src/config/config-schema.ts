import * as z from 'zod';
import { CLIENT_DIRECTORY_DEFAULTS, LEASE_FORMATS, parseClientNames } from '../clients/index.js';
import { DEFAULT_EDNS_PAYLOAD } from '../wire/constants.js';
import type { DeepReadonly } from './deep-freeze.js';
import { httpSection } from './http-section.js';

/** Storm collapsing's defaults (the log's storm collapser reads them from here). */
export const STORM_DEFAULTS = { windowSeconds: 60, maxWindows: 10_000 } as const;
import {
  boolean, byteSize, cidr, clientMatch, domainName, duration, httpUrl, integer, ipAddress, ipv4Address, ipv6Address, list, name, number, oneOf, port, section, string,
  upstreamAddress,
} from './fields.js';

/**
 * The whole config file, one section per feature. Every default lives here, so the embedded
 * defaults (no config file) and a partial file give the same result, and the descriptions here
 * are what editors show from the JSON Schema made of it (camshim.schema.json).
 */

/** Networks that may query by default: never an open resolver. */
export const PRIVATE_NETWORKS = [
  '127.0.0.0/8', '::1/128',
  '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16',
  '100.64.0.0/10',
  '169.254.0.0/16', 'fe80::/10',
  'fc00::/7',
] as const;

/** Where downloaded lists live by default: systemd's StateDirectory=camshim. */
export const DEFAULT_STATE_DIR = '/var/lib/camshim';

/** Formats a URL source may declare (lists/remote/list-format checks downloads against it). */
export const LIST_FORMATS = ['domains', 'hosts', 'adblock'] as const;

/** How often a URL source is fetched when its entry does not say. */
export const DEFAULT_REMOTE_REFRESH_MS = 24 * 3_600_000;

/** pino's levels, quietest last; `log.level` and `--log-level` take one of these. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const unlistedPolicy = oneOf(['forward', 'nxdomain', 'refuse'] as const)
  .describe('What a name on no list gets: forwarded upstream, NXDOMAIN, or REFUSED.');

/**
 * Per-client token buckets in a bounded table, keyed by the packet's source address. DNS and NTP
 * share the shape; only the answer over the limit is the protocol's own. The buckets live as long
 * as the daemon: a reload (SIGHUP) applies new settings to them and never refills them.
 */
function rateLimit<const Over extends readonly [string, ...string[]]>(defaults: { enabled: boolean; ratePerSecond: number; burst: number; leakProbability: number }, over: Over) {
  return section({
    enabled: boolean().default(defaults.enabled),
    ratePerSecond: number(0.01, 1_000_000).default(defaults.ratePerSecond).describe('Tokens a client gets back per second.'),
    burst: integer(1, 1_000_000).default(defaults.burst).describe('Requests a client may send at once (the bucket size).'),
    maxClients: integer(16, 1_000_000).default(4096).describe('Clients tracked at most; the least recently seen is forgotten (and gets a full bucket back).'),
    overLimit: oneOf(over).default(over[0]).describe('The answer to a request over the limit.'),
    leakProbability: number(0, 1).default(defaults.leakProbability)
      .describe('Share of over-limit requests answered anyway, so a flood spoofing a client\'s address cannot silence it.'),
  }).prefault({});
}

/** Built per use so a test run can let port 0 through (see loadConfig's `ephemeralPorts`). */
export function makeConfigSchema(options: { ephemeralPorts: boolean }) {
  const dnsPort = options.ephemeralPorts ? integer(0, 65535) : port();

  const dns = section({
    listen: list(ipAddress(), 'IPv4 or IPv6 addresses', { min: 1 }).prefault(['0.0.0.0', '::'])
      .describe('Addresses to answer DNS on (0.0.0.0 and :: for every address).'),
    port: dnsPort.default(53).describe('DNS port (UDP and TCP).'),
    tcp: section({
      enabled: boolean().default(true),
      idleTimeoutMs: integer(100, 600_000).default(10_000),
      maxConnections: integer(1, 100_000).default(256),
    }).prefault({}),
    ednsPayload: integer(512, 4096).default(DEFAULT_EDNS_PAYLOAD).describe('EDNS payload size advertised, and the most sent over UDP.'),
    negativeTtl: integer(0, 604_800).default(3600).describe('TTL of the SOA on NXDOMAIN/NODATA answers camshim makes (RFC 2308 negative caching).'),
    workers: integer(1, 64).default(1).describe('Processes answering queries on the same sockets (one per core); 1: no cluster.'),
    rateLimit: rateLimit({ enabled: false, ratePerSecond: 50, burst: 100, leakProbability: 0 }, ['refuse', 'drop'] as const)
      .describe('Per-client query rate limit. Off by default: a NAT or a forwarder in front of camshim puts many clients behind one address.'),
  }).prefault({});

  const access = section({
    allow: list(cidr(), 'networks').prefault([...PRIVATE_NETWORKS]).describe('Networks that may query at all; everyone else gets REFUSED.'),
  }).prefault({});

  const groupPolicy = {
    lists: list(string('a list name or "*"'), 'list names or "*"').prefault(['*']),
    unlisted: unlistedPolicy.default('forward'),
    ntpRedirect: boolean().default(true),
  };

  const group = section({
    name: name(),
    clients: list(clientMatch(), 'networks or MAC addresses', { min: 1 })
      .describe('Members: networks (a bare address is one host) and MAC addresses; a MAC matches through the client directory.'),
    ...groupPolicy,
  });

  const groups = list(group, 'groups').prefault([]).superRefine((value, context) => {
    const seen = new Set<string>();
    value.forEach((entry, index) => {
      if (seen.has(entry.name) || entry.name === 'default') {
        context.addIssue({ code: 'custom', path: [index, 'name'], message: `group name "${entry.name}" is used twice (or is the reserved "default")` });
      }
      seen.add(entry.name);
    });
  });

  const listSource = section({
    path: string('a file or folder path', /./).optional().describe('A local list file or folder (give path or url).'),
    url: httpUrl().optional().describe('An http(s) list, fetched into lists.remote.stateDir; camshim serves the last good copy.'),
    kind: oneOf(['block', 'allow'] as const).default('block'),
    name: name().optional().describe('Name groups use to refer to it; default: the file name without .list/.txt (for a URL, its last path part). Folders ignore it.'),
    groups: list(name(), 'group names').optional().describe('Groups this list applies to, on top of their own lists setting ("default": clients in no group).'),
    format: oneOf(LIST_FORMATS).optional().describe('For a URL: refuse a download that is mostly not in this format (domains, hosts or adblock). Every format is read either way.'),
    refresh: duration(60_000, 30 * 86_400_000).optional().describe('How often a URL source is fetched again (default 24h); local files ignore it.'),
  }).superRefine((value, context) => {
    if ((value.path === undefined) === (value.url === undefined)) {
      context.addIssue({ code: 'custom', path: [], message: 'give exactly one of path (a file or folder) or url (http:// or https://)' });
    }
  }).transform((value) => (value.url === undefined || value.refresh !== undefined ? value : { ...value, refresh: DEFAULT_REMOTE_REFRESH_MS }));

  const lists = section({
    bundled: boolean().default(true).describe("Load the vendor lists shipped in camshim's lists/ folder."),
    sources: list(listSource, 'list sources').prefault([]),
    neverBlockOverride: list(domainName(), 'domain names').prefault([]).describe('Names that may be sinkholed despite the never-block list.'),
    cache: section({
      enabled: boolean().default(true),
      dir: string('a folder path', /./).default('/var/cache/camshim'),
      minRules: integer(0, 100_000_000).default(20_000).describe('Smaller list sets load from text in milliseconds: no cache file is written for them.'),
    }).prefault({}).describe('Compiled list cache: big lists load from it on restart.'),
    remote: section({
      stateDir: string('a folder path', /./).default(DEFAULT_STATE_DIR).describe('Where downloaded lists and their refresh state are kept (the unit\'s StateDirectory=).'),
      maxShrink: number(0, 1).default(0.5).describe('A download with fewer entries than this fraction below the cached copy is refused (lists update --force takes it).'),
      maxBytes: integer(1024, 2_000_000_000).default(64 * 1024 * 1024).describe('Largest download accepted.'),
      connectTimeoutMs: integer(100, 600_000).default(15_000).describe('Time allowed until the response headers arrive.'),
      timeoutMs: integer(100, 3_600_000).default(300_000).describe('Time allowed for a whole download.'),
      maxRedirects: integer(0, 20).default(5),
      retries: integer(0, 10).default(3).describe('Further attempts after a network error, a timeout or a 5xx/429 answer, with doubling waits.'),
    }).prefault({}).describe('Sources given by URL: download, validation and refresh.'),
  }).prefault({});

  const ntpRedirect = section({
    enabled: boolean().default(true),
    names: list(domainName(), 'domain names').prefault([]).describe('Extra NTP names on top of the bundled ntp-hosts list; each covers its subdomains.'),
    ipv4: ipv4Address().optional().describe("Address to answer A queries with; default: camshim's address facing the client."),
    ipv6: ipv6Address().optional(),
    ttl: integer(0, 86_400).default(60),
  }).prefault({});

  const ntp = section({
    enabled: boolean().default(true),
    listen: list(ipAddress(), 'IPv4 or IPv6 addresses', { min: 1 }).optional().describe('Addresses to bind; default: the DNS listen addresses.'),
    port: integer(0, 65535, 'a port number from 1 to 65535, or 0 for no NTP server').default(123).describe('NTP port; 0: no NTP server.'),
    stratum: integer(1, 15).default(3),
    localStratum: integer(1, 15).default(10),
    rateLimit: rateLimit({ enabled: true, ratePerSecond: 0.5, burst: 8, leakProbability: 0.1 }, ['kod', 'drop'] as const),
  })
    // Port 0 is how a user says "no NTP" on the command line (--ntp-port 0): the same as enabled: false.
    .transform((value) => (value.port === 0 && !options.ephemeralPorts ? { ...value, enabled: false } : value))
    .prefault({});

  const upstream = section({
    servers: list(upstreamAddress(), 'addresses as IP[:port]').prefault([]).describe('Upstream DNS servers, IP[:port] or [IPv6]:port. Empty: read resolvConf.'),
    resolvConf: string('a file path', /./).default('/etc/resolv.conf').describe("Where the system's resolver list is read from when servers is empty."),
    timeoutMs: integer(50, 30_000).default(2000),
    maxOutstanding: integer(1, 100_000).default(1024),
    cache: section({
      maxEntries: integer(0, 10_000_000).default(10_000),
      maxBytes: integer(0, 2_000_000_000).default(16 * 1024 * 1024),
      minTtl: integer(0, 86_400).default(0),
      maxTtl: integer(0, 604_800).default(86_400),
    }).prefault({}),
  }).prefault({});

  const logFile = section({
    path: string('a file path', /./).describe('Log file; relative paths start at the config file\'s folder. Rotated files are PATH-without-extension.N.ext.'),
    size: byteSize().optional().describe('Start a new file once this one reaches this size (500k, 10m, 1g).'),
    frequency: z.union([oneOf(['daily', 'hourly'] as const), integer(1000, 31_536_000_000)], { error: () => 'expected "daily", "hourly" or a number of milliseconds from 1000' })
      .optional().describe('Start a new file daily, hourly, or every this many milliseconds.'),
    keep: integer(1, 10_000).default(10).describe('Rotated files kept besides the current one; older ones are deleted.'),
  });

  const log = section({
    level: oneOf(LOG_LEVELS).default('info').describe('Log level; debug logs every query.'),
    format: oneOf(['auto', 'json', 'pretty'] as const).default('auto')
      .describe('auto: one readable line per event on a terminal, JSON lines otherwise (journald, pipes, files).'),
    file: logFile.optional().describe('Write the log to a file with rotation instead of standard output.'),
    stormWindowSeconds: integer(0, 86_400).default(STORM_DEFAULTS.windowSeconds)
      .describe('Repeats of one query (client, name, type, answer) within this window are one storm line with their count; 0: every query is a line.'),
    stormMaxWindows: integer(1, 10_000_000).default(STORM_DEFAULTS.maxWindows)
      .describe('Storm windows open at most; when full, the oldest is written early.'),
  }).prefault({});

  const leaseFile = z.union([
    string('a lease file path', /./),
    section({ path: string('a lease file path', /./), format: oneOf(LEASE_FORMATS).optional() }),
  ], { error: () => 'expected a lease file path, or { path, format }' });

  const clientDirectory = section({
    leases: z.union([z.literal('auto'), list(leaseFile, 'lease files')], { error: () => 'expected "auto" or a list of lease files' })
      .default(CLIENT_DIRECTORY_DEFAULTS.leases as 'auto')
      .describe('DHCP lease files to read MACs and hostnames from: "auto" (the usual dnsmasq, odhcpd, ISC dhcpd and Kea paths), a list, or [] for none.'),
    neighbours: boolean().default(CLIENT_DIRECTORY_DEFAULTS.neighbours).describe("Read the kernel's neighbour table (ARP/NDP) for MACs."),
  }).prefault({});

  const clients = z.record(z.string(), string('a name such as garage-c200'))
    .superRefine((value, context) => {
      for (const problem of parseClientNames(value, '').problems) {
        context.addIssue({ code: 'custom', path: [(problem.path ?? '').replace(/^\./, '')], message: problem.message });
      }
    })
    .prefault({})
    .describe('Names for clients, by MAC (any notation) or IP address, shown in the log and in reports.');

  return section({
    dns, access, groups,
    defaultGroup: section(groupPolicy).prefault({}).describe('Policy for clients in no group.'),
    lists, ntpRedirect, ntp, upstream, log, clients, clientDirectory,
    http: httpSection(options),
  }).superRefine((value, context) => {
    // Each worker would rotate the same file on its own; journald takes the workers' stdout as one log.
    if (value.log.file !== undefined && value.dns.workers > 1) {
      context.addIssue({ code: 'custom', path: ['log', 'file'], message: 'a log file cannot be combined with dns.workers above 1; log to stdout (journald) instead' });
    }
  });
}

export const configSchema = makeConfigSchema({ ephemeralPorts: false });

/** The config every module receives: read-only all the way down, and frozen (load-config). */
export type Config = DeepReadonly<z.output<typeof configSchema>>;
export type GroupConfig = Config['groups'][number];
export type UnlistedPolicy = Config['defaultGroup']['unlisted'];
export type ListSourceConfig = Config['lists']['sources'][number];
export type RemoteListsConfig = Config['lists']['remote'];
export type LogLevel = Config['log']['level'];
export type LogConfig = Config['log'];
export type DnsRateLimitConfig = Config['dns']['rateLimit'];
export type NtpRateLimitConfig = Config['ntp']['rateLimit'];
export type HttpConfig = Config['http'];
