import type { Config, UnlistedPolicy } from '../config/config-schema.js';
import type { Problem } from '../errors.js';
import type { MatchFilter } from '../lists/domain-table.js';
import type { ListSet } from '../lists/list-set.js';
import { BoundedCache } from '../net/bounded-cache.js';
import { CidrSet } from '../net/cidr-set.js';

/** A client group as the resolver uses it: its list filter and its policy for unlisted names. */
export interface ClientGroup {
  readonly name: string;
  readonly unlisted: UnlistedPolicy;
  readonly filter: MatchFilter;
  readonly listNames: readonly string[];
}

export interface ClientClass {
  readonly allowed: boolean;
  readonly group: ClientGroup;
}

/** The MAC behind a client address, where known (the client directory's lookup: O(1)). */
export type MacLookup = (address: string) => string | undefined;

/** Client classes remembered per source address; bounded, since anyone can send from many addresses. */
const CLASS_CACHE_SIZE = 8192;

interface GroupMembers { group: ClientGroup; networks: CidrSet; macs: ReadonlySet<string> }

/**
 * Decides, per client address, whether it may query (access networks) and which group it is in
 * (first group whose networks or MACs contain it, else the default group).
 */
export class ClientGroups {
  private readonly access: CidrSet;
  private readonly groups: GroupMembers[];
  readonly defaultGroup: ClientGroup;
  private readonly cache = new BoundedCache<string, ClientClass & { mac?: string | undefined }>(CLASS_CACHE_SIZE);
  /** Whether some group names clients by MAC: then a client's group depends on the client directory. */
  readonly byMac: boolean;
  /** Set when some group names a MAC: then the MAC is looked up per query, since leases and neighbours change under a cached address. */
  private readonly macOf: MacLookup | undefined;

  private constructor(access: CidrSet, groups: GroupMembers[], defaultGroup: ClientGroup, macOf: MacLookup | undefined) {
    this.access = access;
    this.groups = groups;
    this.defaultGroup = defaultGroup;
    this.byMac = groups.some((candidate) => candidate.macs.size > 0);
    this.macOf = this.byMac ? macOf : undefined;
  }

  /** Builds groups against a list set; unknown list names are config problems with their path. */
  static build(config: Config, lists: ListSet, macOf?: MacLookup): { groups: ClientGroups; problems: Problem[] } {
    const problems: Problem[] = [];
    const filterFor = (group: string, names: readonly string[], ntpRedirect: boolean, path: string): MatchFilter => {
      const enabled = new Uint8Array(Math.max(1, lists.lists.length));
      // A source that names its groups applies to those (and to a group naming it), not to every "*".
      for (const list of lists.lists) if (list.groups?.includes(group) === true) enabled[list.index] = 1;
      names.forEach((name, index) => {
        if (name === '*') {
          for (const list of lists.lists) if (list.kind !== 'ntp' && list.groups === undefined) enabled[list.index] = 1;
          return;
        }
        const list = lists.byName.get(name);
        if (list === undefined) {
          const known = lists.lists.filter((l) => l.kind !== 'ntp').map((l) => l.name).join(', ');
          problems.push({ code: 'CONFIG_INVALID', path: `${path}[${index}]`, message: `${path}[${index}]: no list named "${name}"; loaded lists: ${known || '(none)'}` });
          return;
        }
        enabled[list.index] = 1;
      });
      return { lists: enabled, redirects: ntpRedirect && config.ntpRedirect.enabled };
    };
    const defaultGroup: ClientGroup = {
      name: 'default', unlisted: config.defaultGroup.unlisted, listNames: config.defaultGroup.lists,
      filter: filterFor('default', config.defaultGroup.lists, config.defaultGroup.ntpRedirect, 'defaultGroup.lists'),
    };
    const groupNames = new Set(['default', ...config.groups.map((group) => group.name)]);
    for (const list of lists.lists) {
      for (const group of list.groups ?? []) {
        if (!groupNames.has(group)) problems.push({ code: 'CONFIG_INVALID', path: 'lists.sources', message: `list "${list.name}" names group "${group}", which is not defined; groups: ${[...groupNames].join(', ')}` });
      }
    }
    const groups = config.groups.map((group, index) => ({
      group: {
        name: group.name, unlisted: group.unlisted, listNames: group.lists,
        filter: filterFor(group.name, group.lists, group.ntpRedirect, `groups[${index}].lists`),
      },
      // The schema writes networks with a "/" and MACs as aa:bb:cc:dd:ee:ff.
      networks: new CidrSet(group.clients.filter((entry) => entry.includes('/'))),
      macs: new Set(group.clients.filter((entry) => !entry.includes('/'))),
    }));
    return { groups: new ClientGroups(new CidrSet(config.access.allow), groups, defaultGroup, macOf), problems };
  }

  classify(address: string): ClientClass {
    const mac = this.macOf?.(address);
    const cached = this.cache.get(address);
    if (cached !== undefined && cached.mac === mac) return cached;
    const allowed = this.access.has(address);
    let group = this.defaultGroup;
    for (const candidate of this.groups) {
      if (candidate.networks.has(address) || (mac !== undefined && candidate.macs.has(mac))) { group = candidate.group; break; }
    }
    const result = { allowed, group, mac };
    this.cache.set(address, result);
    return result;
  }

  get names(): string[] { return [...this.groups.map((g) => g.group.name), 'default']; }
}
