import './zod-setup.js';
import * as z from 'zod/mini';
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
  .check(z.describe('What a name on no list gets: forwarded upstream, NXDOMAIN, or REFUSED.'));

/** A value's default, and what editors show for it (from the JSON Schema). */
function withDefault<T extends z.ZodMiniType>(schema: T, value: z.core.util.NoUndefined<z.core.output<T>>, description?: string) {
  const defaulted = z._default(schema, value);
  return description === undefined ? defaulted : defaulted.check(z.describe(description));
}

/** A section or list the user may leave out: `value` goes through the schema as if written. */
function leaveOut<T extends z.ZodMiniType>(schema: T, value: z.core.input<T>, description?: string) {
  const prefaulted = z.prefault(schema, value);
  return description === undefined ? prefaulted : prefaulted.check(z.describe(description));
}

/** A key that may be absent (no default). */
function optional<T extends z.ZodMiniType>(schema: T, description?: string) {
  const wrapped = z.optional(schema);
  return description === undefined ? wrapped : wrapped.check(z.describe(description));
}

/**
 * Per-client token buckets in a bounded table, keyed by the packet's source address. DNS and NTP
 * share the shape; only the answer over the limit is the protocol's own. The buckets live as long
 * as the daemon: a reload (SIGHUP) applies new settings to them and never refills them.
 */
function rateLimit<const Over extends readonly [string, ...string[]]>(defaults: { enabled: boolean; ratePerSecond: number; burst: number; leakProbability: number }, over: Over, description?: string) {
  return leaveOut(section({
    enabled: withDefault(boolean(), defaults.enabled),
    ratePerSecond: withDefault(number(0.01, 1_000_000), defaults.ratePerSecond, 'Tokens a client gets back per second.'),
    burst: withDefault(integer(1, 1_000_000), defaults.burst, 'Requests a client may send at once (the bucket size).'),
    maxClients: withDefault(integer(16, 1_000_000), 4096, 'Clients tracked at most; the least recently seen is forgotten (and gets a full bucket back).'),
    overLimit: withDefault(oneOf(over), over[0], 'The answer to a request over the limit.'),
    leakProbability: withDefault(number(0, 1), defaults.leakProbability,
      'Share of over-limit requests answered anyway, so a flood spoofing a client\'s address cannot silence it.'),
  }), {}, description);
}

/** Built per use so a test run can let port 0 through (see loadConfig's `ephemeralPorts`). */
export function makeConfigSchema(options: { ephemeralPorts: boolean }) {
  const dnsPort = options.ephemeralPorts ? integer(0, 65535) : port();

  const dns = leaveOut(section({
    listen: leaveOut(list(ipAddress(), 'IPv4 or IPv6 addresses', { min: 1 }), ['0.0.0.0', '::'],
      'Addresses to answer DNS on (0.0.0.0 and :: for every address).'),
    port: withDefault(dnsPort, 53, 'DNS port (UDP and TCP).'),
    tcp: leaveOut(section({
      enabled: withDefault(boolean(), true),
      idleTimeoutMs: withDefault(integer(100, 600_000), 10_000),
      maxConnections: withDefault(integer(1, 100_000), 256),
    }), {}),
    ednsPayload: withDefault(integer(512, 4096), DEFAULT_EDNS_PAYLOAD, 'EDNS payload size advertised, and the most sent over UDP.'),
    negativeTtl: withDefault(integer(0, 604_800), 3600, 'TTL of the SOA on NXDOMAIN/NODATA answers camshim makes (RFC 2308 negative caching).'),
    workers: withDefault(integer(1, 64), 1, 'Processes answering queries on the same sockets (one per core); 1: no cluster.'),
    rateLimit: rateLimit({ enabled: false, ratePerSecond: 50, burst: 100, leakProbability: 0 }, ['refuse', 'drop'] as const,
      'Per-client query rate limit. Off by default: a NAT or a forwarder in front of camshim puts many clients behind one address.'),
  }), {});

  const access = leaveOut(section({
    allow: leaveOut(list(cidr(), 'networks'), [...PRIVATE_NETWORKS], 'Networks that may query at all; everyone else gets REFUSED.'),
  }), {});

  const groupPolicy = {
    lists: leaveOut(list(string('a list name or "*"'), 'list names or "*"'), ['*']),
    unlisted: withDefault(unlistedPolicy, 'forward'),
    ntpRedirect: withDefault(boolean(), true),
  };

  const group = section({
    name: name(),
    clients: list(clientMatch(), 'networks or MAC addresses', { min: 1 })
      .check(z.describe('Members: networks (a bare address is one host) and MAC addresses; a MAC matches through the client directory.')),
    ...groupPolicy,
  });

  const groups = leaveOut(list(group, 'groups'), []).check(z.superRefine((value, context) => {
    const seen = new Set<string>();
    value.forEach((entry, index) => {
      if (seen.has(entry.name) || entry.name === 'default') {
        context.addIssue({ code: 'custom', path: [index, 'name'], message: `group name "${entry.name}" is used twice (or is the reserved "default")` });
      }
      seen.add(entry.name);
    });
  }));

  const listSource = z.pipe(section({
    path: optional(string('a file or folder path', /./), 'A local list file or folder (give path or url).'),
    url: optional(httpUrl(), 'An http(s) list, fetched into lists.remote.stateDir; camshim serves the last good copy.'),
    kind: withDefault(oneOf(['block', 'allow'] as const), 'block'),
    name: optional(name(), 'Name groups use to refer to it; default: the file name without .list/.txt (for a URL, its last path part). Folders ignore it.'),
    groups: optional(list(name(), 'group names'), 'Groups this list applies to, on top of their own lists setting ("default": clients in no group).'),
    format: optional(oneOf(LIST_FORMATS), 'For a URL: refuse a download that is mostly not in this format (domains, hosts or adblock). Every format is read either way.'),
    refresh: optional(duration(60_000, 30 * 86_400_000), 'How often a URL source is fetched again (default 24h); local files ignore it.'),
  }).check(z.superRefine((value, context) => {
    if ((value.path === undefined) === (value.url === undefined)) {
      context.addIssue({ code: 'custom', path: [], message: 'give exactly one of path (a file or folder) or url (http:// or https://)' });
    }
  })), z.transform((value) => (value.url === undefined || value.refresh !== undefined ? value : { ...value, refresh: DEFAULT_REMOTE_REFRESH_MS })));

  const lists = leaveOut(section({
    bundled: withDefault(boolean(), true, "Load the vendor lists shipped in camshim's lists/ folder."),
    sources: leaveOut(list(listSource, 'list sources'), []),
    neverBlockOverride: leaveOut(list(domainName(), 'domain names'), [], 'Names that may be sinkholed despite the never-block list.'),
    cache: leaveOut(section({
      enabled: withDefault(boolean(), true),
      dir: withDefault(string('a folder path', /./), '/var/cache/camshim'),
      minRules: withDefault(integer(0, 100_000_000), 20_000, 'Smaller list sets load from text in milliseconds: no cache file is written for them.'),
    }), {}, 'Compiled list cache: big lists load from it on restart.'),
    remote: leaveOut(section({
      stateDir: withDefault(string('a folder path', /./), DEFAULT_STATE_DIR, 'Where downloaded lists and their refresh state are kept (the unit\'s StateDirectory=).'),
      maxShrink: withDefault(number(0, 1), 0.5, 'A download with fewer entries than this fraction below the cached copy is refused (lists update --force takes it).'),
      maxBytes: withDefault(integer(1024, 2_000_000_000), 64 * 1024 * 1024, 'Largest download accepted.'),
      connectTimeoutMs: withDefault(integer(100, 600_000), 15_000, 'Time allowed until the response headers arrive.'),
      timeoutMs: withDefault(integer(100, 3_600_000), 300_000, 'Time allowed for a whole download.'),
      maxRedirects: withDefault(integer(0, 20), 5),
      retries: withDefault(integer(0, 10), 3, 'Further attempts after a network error, a timeout or a 5xx/429 answer, with doubling waits.'),
    }), {}, 'Sources given by URL: download, validation and refresh.'),
  }), {});

  const ntpRedirect = leaveOut(section({
    enabled: withDefault(boolean(), true),
    names: leaveOut(list(domainName(), 'domain names'), [], 'Extra NTP names on top of the bundled ntp-hosts list; each covers its subdomains.'),
    ipv4: optional(ipv4Address(), "Address to answer A queries with; default: camshim's address facing the client."),
    ipv6: optional(ipv6Address()),
    ttl: withDefault(integer(0, 86_400), 60),
  }), {});

  const ntp = leaveOut(z.pipe(section({
    enabled: withDefault(boolean(), true),
    listen: optional(list(ipAddress(), 'IPv4 or IPv6 addresses', { min: 1 }), 'Addresses to bind; default: the DNS listen addresses.'),
    port: withDefault(integer(0, 65535, 'a port number from 1 to 65535, or 0 for no NTP server'), 123, 'NTP port; 0: no NTP server.'),
    stratum: withDefault(integer(1, 15), 3),
    localStratum: withDefault(integer(1, 15), 10),
    rateLimit: rateLimit({ enabled: true, ratePerSecond: 0.5, burst: 8, leakProbability: 0.1 }, ['kod', 'drop'] as const),
  }),
  // Port 0 is how a user says "no NTP" on the command line (--ntp-port 0): the same as enabled: false.
  z.transform((value) => (value.port === 0 && !options.ephemeralPorts ? { ...value, enabled: false } : value))), {});

  const upstream = leaveOut(section({
    servers: leaveOut(list(upstreamAddress(), 'addresses as IP[:port]'), [], 'Upstream DNS servers, IP[:port] or [IPv6]:port. Empty: read resolvConf.'),
    resolvConf: withDefault(string('a file path', /./), '/etc/resolv.conf', "Where the system's resolver list is read from when servers is empty."),
    timeoutMs: withDefault(integer(50, 30_000), 2000),
    maxOutstanding: withDefault(integer(1, 100_000), 1024),
    cache: leaveOut(section({
      maxEntries: withDefault(integer(0, 10_000_000), 10_000),
      maxBytes: withDefault(integer(0, 2_000_000_000), 16 * 1024 * 1024),
      minTtl: withDefault(integer(0, 86_400), 0),
      maxTtl: withDefault(integer(0, 604_800), 86_400),
    }), {}),
  }), {});

  const logFile = section({
    path: string('a file path', /./).check(z.describe('Log file; relative paths start at the config file\'s folder. Rotated files are PATH-without-extension.N.ext.')),
    size: optional(byteSize(), 'Start a new file once this one reaches this size (500k, 10m, 1g).'),
    frequency: optional(z.union([oneOf(['daily', 'hourly'] as const), integer(1000, 31_536_000_000)], { error: () => 'expected "daily", "hourly" or a number of milliseconds from 1000' }),
      'Start a new file daily, hourly, or every this many milliseconds.'),
    keep: withDefault(integer(1, 10_000), 10, 'Rotated files kept besides the current one; older ones are deleted.'),
  });

  const log = leaveOut(section({
    level: withDefault(oneOf(LOG_LEVELS), 'info', 'Log level; debug logs every query.'),
    format: withDefault(oneOf(['auto', 'json', 'pretty'] as const), 'auto',
      'auto: one readable line per event on a terminal, JSON lines otherwise (journald, pipes, files).'),
    file: optional(logFile, 'Write the log to a file with rotation instead of standard output.'),
    stormWindowSeconds: withDefault(integer(0, 86_400), STORM_DEFAULTS.windowSeconds,
      'Repeats of one query (client, name, type, answer) within this window are one storm line with their count; 0: every query is a line.'),
    stormMaxWindows: withDefault(integer(1, 10_000_000), STORM_DEFAULTS.maxWindows,
      'Storm windows open at most; when full, the oldest is written early.'),
  }), {});

  const leaseFile = z.union([
    string('a lease file path', /./),
    section({ path: string('a lease file path', /./), format: optional(oneOf(LEASE_FORMATS)) }),
  ], { error: () => 'expected a lease file path, or { path, format }' });

  const clientDirectory = leaveOut(section({
    leases: withDefault(z.union([z.literal('auto'), list(leaseFile, 'lease files')], { error: () => 'expected "auto" or a list of lease files' }),
      CLIENT_DIRECTORY_DEFAULTS.leases as 'auto',
      'DHCP lease files to read MACs and hostnames from: "auto" (the usual dnsmasq, odhcpd, ISC dhcpd and Kea paths), a list, or [] for none.'),
    neighbours: withDefault(boolean(), CLIENT_DIRECTORY_DEFAULTS.neighbours, "Read the kernel's neighbour table (ARP/NDP) for MACs."),
  }), {});

  const clients = leaveOut(z.record(z.string(), string('a name such as garage-c200'))
    .check(z.superRefine((value, context) => {
      for (const problem of parseClientNames(value, '').problems) {
        context.addIssue({ code: 'custom', path: [(problem.path ?? '').replace(/^\./, '')], message: problem.message });
      }
    })), {}, 'Names for clients, by MAC (any notation) or IP address, shown in the log and in reports.');

  return section({
    dns, access, groups,
    defaultGroup: leaveOut(section(groupPolicy), {}, 'Policy for clients in no group.'),
    lists, ntpRedirect, ntp, upstream, log, clients, clientDirectory,
    http: httpSection(options),
  }).check(z.superRefine((value, context) => {
    // Each worker would rotate the same file on its own; journald takes the workers' stdout as one log.
    if (value.log.file !== undefined && value.dns.workers > 1) {
      context.addIssue({ code: 'custom', path: ['log', 'file'], message: 'a log file cannot be combined with dns.workers above 1; log to stdout (journald) instead' });
    }
  }));
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
