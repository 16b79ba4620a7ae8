import type { Config } from './config/config-schema.js';
import type { Problem } from './errors.js';
import type { ListSet } from './lists/list-set.js';
import { ClientGroups, type MacLookup } from './pipeline/client-groups.js';
import { clientRateLimiter } from './net/client-rate-limit.js';
import { listenTargets } from './net/listen-targets.js';
import { LocalAddressPicker, systemInterfaces, type InterfaceSource, type NtpAddressSource } from './net/local-address.js';
import type { RateLimiter } from './net/rate-limiter.js';
import { ntpOptionsFromConfig } from './ntp/options-from-config.js';
import { AnswerBuilder } from './pipeline/answer-builder.js';
import { buildChain } from './pipeline/chain.js';
import type { Stage } from './pipeline/context.js';
import type { Forwarder } from './pipeline/forwarder.js';

/** Everything a query needs, derived from one config and one list set; replaced whole on reload. */
export interface ResolverState {
  readonly config: Config;
  readonly lists: ListSet;
  readonly groups: ClientGroups;
  readonly answers: AnswerBuilder;
  readonly forwarder: Forwarder;
  readonly chain: readonly Stage[];
  readonly generation: number;
}

export interface StateDeps {
  /** Made once per daemon (its cache outlives reloads), so every state shares it. */
  readonly forwarder: Forwarder;
  readonly interfaces?: InterfaceSource;
  /** The daemon's DNS rate limiter, kept across reloads; default: a new one (check, query). */
  readonly rateLimiter?: RateLimiter;
  /** Where the daemon's NTP server has sockets; default: where the config would bind them on this machine. */
  readonly ntpAddresses?: NtpAddressSource;
  /** How long a read of the interfaces is reused (the daemon's source is a cheap snapshot: 0). */
  readonly interfacesRefreshMs?: number;
  /** The client directory's MAC per address, for groups that list MACs (none: such entries match nobody). */
  readonly macOf?: MacLookup;
}

export function buildResolverState(config: Config, lists: ListSet, generation: number, deps: StateDeps): { state: ResolverState | undefined; problems: Problem[] } {
  const { groups, problems } = ClientGroups.build(config, lists, deps.macOf);
  if (problems.length > 0) return { state: undefined, problems };
  // The SOA serial follows the list generation, so a changed list set is visible in answers.
  const answers = new AnswerBuilder(config.dns.negativeTtl, config.dns.ednsPayload, config.ntpRedirect.ttl, generation);
  const forwarder = deps.forwarder;
  const interfaces = deps.interfaces ?? systemInterfaces;
  const ntpAddresses = deps.ntpAddresses ?? plannedNtpAddresses(config, interfaces);
  const localAddresses = new LocalAddressPicker({ ipv4: config.ntpRedirect.ipv4, ipv6: config.ntpRedirect.ipv6 }, ntpAddresses, interfaces, Date.now, deps.interfacesRefreshMs);
  const chain = buildChain({ answers, forwarder, localAddresses, rateLimit: config.dns.rateLimit,
    rateLimiter: deps.rateLimiter ?? clientRateLimiter(config.dns.rateLimit) });
  return { state: { config, lists, groups, answers, forwarder, chain, generation }, problems: [] };
}

/** Without a running NTP server (`check`, `query`): the addresses the config would serve NTP on here. */
function plannedNtpAddresses(config: Config, interfaces: InterfaceSource): NtpAddressSource {
  const options = ntpOptionsFromConfig(config);
  if (options === undefined) return () => [];
  return () => listenTargets(options.listen, interfaces()).targets.map((target) => target.address);
}
