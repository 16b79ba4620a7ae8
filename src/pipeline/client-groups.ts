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

/** Client classes remembered per source address; bounded, since anyone can send from many addresses. */
const CLASS_CACHE_SIZE = 8192;

/**
 * Decides, per client address, whether it may query (access networks) and which group it is in
 * (first group whose networks contain it, else the default group).
 */
export class ClientGroups {
  private readonly access: CidrSet;
  private readonly groups: { group: ClientGroup; networks: CidrSet }[];
  readonly defaultGroup: ClientGroup;
  private readonly cache = new BoundedCache<string, ClientClass>(CLASS_CACHE_SIZE);

  private constructor(access: CidrSet, groups: { group: ClientGroup; networks: CidrSet }[], defaultGroup: ClientGroup) {
    this.access = access;
    this.groups = groups;
    this.defaultGroup = defaultGroup;
  }

  /** Builds groups against a list set; unknown list names are config problems with their path. */
  static build(config: Config, lists: ListSet): { groups: ClientGroups; problems: Problem[] } {
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
      networks: new CidrSet(group.clients),
    }));
    return { groups: new ClientGroups(new CidrSet(config.access.allow), groups, defaultGroup), problems };
  }

  classify(address: string): ClientClass {
    const cached = this.cache.get(address);
    if (cached !== undefined) return cached;
    const allowed = this.access.has(address);
    let group = this.defaultGroup;
    for (const candidate of this.groups) {
      if (candidate.networks.has(address)) { group = candidate.group; break; }
    }
    const result = { allowed, group };
    this.cache.set(address, result);
    return result;
  }

  get names(): string[] { return [...this.groups.map((g) => g.group.name), 'default']; }
}
