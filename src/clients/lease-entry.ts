/**
 * What every lease parser returns, and the small rules they share: how a hostname from a
 * lease becomes a name fit for a log line, and which of two leases for one address wins.
 */

/** One client address as a DHCP server recorded it. */
export interface LeaseEntry {
  /** Address in `ipKey` form. */
  readonly ip: string;
  /** Lower-case colon form; absent when the server did not record one (or not an Ethernet MAC). */
  readonly mac?: string;
  /** How the MAC was learnt: from the lease's hardware address, or derived from a DHCPv6 DUID. */
  readonly macFrom?: 'hardware' | 'duid';
  /** The client's hostname, cleaned by `cleanHostname`. */
  readonly name?: string;
  /** End of the lease, ms since the Unix epoch; absent: never ends, or the file does not say. */
  readonly expires?: number;
}

export interface SkippedLine {
  readonly line: number;
  readonly reason: string;
}

/** A parse never throws: what could not be read is counted, and the first few are named. */
export interface LeaseParseResult {
  readonly entries: readonly LeaseEntry[];
  /** Lines (or blocks, for ISC dhcpd) that were not a lease this parser understands. */
  readonly skipped: number;
  /** The first `MAX_SKIPPED_DETAILS` skipped lines, for the one warning about the file. */
  readonly firstSkipped: readonly SkippedLine[];
}

export const MAX_SKIPPED_DETAILS = 5;

/** Longest name kept; a hostname is at most 253 characters, a camera's is far shorter. */
export const MAX_NAME_LENGTH = 253;

/**
 * A camera chooses its own DHCP hostname, so the name is untrusted text headed for log lines
 * and terminals: control characters (C0, DEL, C1: terminal escape sequences) and the Unicode
 * bidirectional controls (which reorder what a reader sees) are removed, runs of white space
 * become one space, and the result is cut to `MAX_NAME_LENGTH` characters. Empty and the
 * servers' "no name" markers (`*`, `-`) -> undefined.
 */
export function cleanHostname(raw: string): string | undefined {
  const cleaned = raw
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (cleaned === '' || cleaned === '*' || cleaned === '-') return undefined;
  return [...cleaned].slice(0, MAX_NAME_LENGTH).join('');
}

/**
 * Collects entries keyed by address with one of two rules for a repeated address:
 * - `last`: the later record wins. ISC dhcpd and Kea files are journals: each change is
 *   appended, so the last record is the current one even when it ends sooner (a release).
 * - `latest-expiry`: the lease that ends last wins (never-ending beats any end). dnsmasq and
 *   odhcpd rewrite a snapshot, where a repeated address can only be left over from a change.
 * Also counts and names skipped lines.
 */
export class LeaseCollector {
  private readonly byIp = new Map<string, LeaseEntry>();
  private skippedCount = 0;
  private readonly skippedDetails: SkippedLine[] = [];

  constructor(private readonly rule: 'last' | 'latest-expiry') {}

  add(entry: LeaseEntry): void {
    const previous = this.byIp.get(entry.ip);
    if (previous !== undefined && this.rule === 'latest-expiry' && endsLater(previous, entry)) return;
    if (previous !== undefined) this.byIp.delete(entry.ip); // keep file order: re-insert at the end
    this.byIp.set(entry.ip, entry);
  }

  get(ip: string): LeaseEntry | undefined { return this.byIp.get(ip); }

  skip(line: number, reason: string): void {
    this.skippedCount++;
    if (this.skippedDetails.length < MAX_SKIPPED_DETAILS) this.skippedDetails.push({ line, reason });
  }

  result(): LeaseParseResult {
    return { entries: [...this.byIp.values()], skipped: this.skippedCount, firstSkipped: this.skippedDetails };
  }
}

/** True when `a` ends strictly later than `b` (absent `expires` = never ends). */
function endsLater(a: LeaseEntry, b: LeaseEntry): boolean {
  const ea = a.expires ?? Number.POSITIVE_INFINITY;
  const eb = b.expires ?? Number.POSITIVE_INFINITY;
  return ea > eb;
}

/** Builds an entry without `undefined`-valued keys (exactOptionalPropertyTypes). */
export function leaseEntry(
  ip: string,
  fields: { mac?: string | undefined; macFrom?: 'hardware' | 'duid' | undefined; name?: string | undefined; expires?: number | undefined },
): LeaseEntry {
  const entry: { ip: string; mac?: string; macFrom?: 'hardware' | 'duid'; name?: string; expires?: number } = { ip };
  if (fields.mac !== undefined) {
    entry.mac = fields.mac;
    entry.macFrom = fields.macFrom ?? 'hardware';
  }
  if (fields.name !== undefined) entry.name = fields.name;
  if (fields.expires !== undefined) entry.expires = fields.expires;
  return entry;
}

/** Splits text into lines, accepting LF and CRLF. */
export function splitLines(text: string): string[] {
  return text.split(/\r?\n/);
}
