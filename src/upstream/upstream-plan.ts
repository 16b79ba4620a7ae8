import type { Problem } from '../errors.js';
import { parseResolvConf } from './resolv-conf.js';
import { selfReason, type SelfView } from './self-filter.js';
import { parseUpstreamAddress, type UpstreamAddress } from '../net/upstream-address.js';

export interface UpstreamPlan {
  readonly upstreams: readonly UpstreamAddress[];
  /** Where the list came from: "config" or "resolv.conf PATH". */
  readonly source: string;
  /** Upstreams left out, each with why (camshim itself, unreadable, ...). */
  readonly refused: readonly { readonly label: string; readonly reason: string }[];
  /** When `upstreams` is empty: why, for the start-up log and `describe()`. */
  readonly emptyReason: string | undefined;
}

export interface PlanInput {
  readonly servers: readonly string[];
  readonly resolvConf: string;
  readonly self: SelfView;
  readonly readFile: (path: string) => Promise<string>;
}

/** Config problems in `upstream.servers`, with dotted paths, for `camshim check` and reloads. */
export function upstreamConfigProblems(servers: readonly string[]): Problem[] {
  const problems: Problem[] = [];
  servers.forEach((text, index) => {
    const parsed = parseUpstreamAddress(text);
    if (typeof parsed === 'string') problems.push({ code: 'CONFIG_INVALID', path: `upstream.servers[${index}]`, message: parsed });
  });
  return problems;
}

/**
 * Decides which upstreams to use: the configured servers, or else the resolv.conf nameservers;
 * either way without any address that is camshim itself. Reads one file; sends nothing.
 */
export async function planUpstreams(input: PlanInput): Promise<UpstreamPlan> {
  const refused: { label: string; reason: string }[] = [];
  const candidates: UpstreamAddress[] = [];
  let source: string;
  if (input.servers.length > 0) {
    source = 'config';
    for (const text of input.servers) {
      const parsed = parseUpstreamAddress(text);
      if (typeof parsed === 'string') refused.push({ label: text, reason: parsed });
      else candidates.push(parsed);
    }
  } else {
    source = `resolv.conf ${input.resolvConf}`;
    let text: string;
    try {
      text = await input.readFile(input.resolvConf);
    } catch (error) {
      return { upstreams: [], source, refused, emptyReason: `no upstream.servers and ${input.resolvConf} is unreadable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` };
    }
    const parsed = parseResolvConf(text);
    for (const entry of parsed.skipped) refused.push({ label: entry.address, reason: `${input.resolvConf}:${entry.line}: not an IP address` });
    for (const entry of parsed.nameservers) {
      const address = parseUpstreamAddress(entry.address.includes(':') ? `[${entry.address}]` : entry.address);
      if (typeof address !== 'string') candidates.push(address);
    }
  }
  const upstreams: UpstreamAddress[] = [];
  for (const candidate of candidates) {
    const self = selfReason(candidate, input.self);
    if (self !== undefined) refused.push({ label: candidate.label, reason: `${self}: forwarding there would loop` });
    else if (!upstreams.some((known) => known.label === candidate.label)) upstreams.push(candidate);
  }
  let emptyReason: string | undefined;
  if (upstreams.length === 0) {
    emptyReason = candidates.length === 0
      ? (source === 'config' ? 'no usable upstream.servers' : `no upstream.servers and ${input.resolvConf} lists no nameserver`)
      : `every upstream from ${source} is camshim itself`;
  }
  return { upstreams, source, refused, emptyReason };
}
