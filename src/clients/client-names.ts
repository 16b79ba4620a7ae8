import type { Problem } from '../errors.js';
import { ipKey } from './ip-key.js';
import { cleanHostname } from './lease-entry.js';
import { normalizeMac } from './mac.js';

/**
 * The `clients:` map of the config: a MAC (any common notation) or an IP address to the name
 * the user knows the device by.
 *
 *   clients:
 *     5c:e9:31:aa:bb:cc: garage-c200
 *     192.168.20.40: nvr
 */
export type ClientNamesInput = Readonly<Record<string, string>>;

export interface ClientNames {
  readonly byMac: ReadonlyMap<string, string>;
  readonly byIp: ReadonlyMap<string, string>;
}

export const EMPTY_CLIENT_NAMES: ClientNames = { byMac: new Map(), byIp: new Map() };

/**
 * Checks and normalises the map. Every bad entry is a problem naming its dotted path
 * (`clients.<key>`), and the good entries are still returned, so config validation can list
 * all problems at once. Two keys for the same MAC or IP in different notations are a problem
 * too (which name would win is not obvious).
 */
export function parseClientNames(input: ClientNamesInput, path = 'clients'): { names: ClientNames; problems: Problem[] } {
  const byMac = new Map<string, string>();
  const byIp = new Map<string, string>();
  const problems: Problem[] = [];
  const seenKey = new Map<string, string>();
  for (const [key, value] of Object.entries(input)) {
    const at = `${path}.${key}`;
    if (typeof value !== 'string') {
      problems.push({ code: 'CONFIG_INVALID', path: at, message: 'the name must be a string, e.g. garage-c200' });
      continue;
    }
    const name = cleanHostname(value);
    if (name === undefined || name !== value.trim()) {
      problems.push({ code: 'CONFIG_INVALID', path: at, message: `"${value}" is not a usable name (empty, "-", "*", or has control characters)` });
      continue;
    }
    const mac = normalizeMac(key);
    const ip = mac === undefined ? ipKey(key) : undefined;
    if (mac === undefined && (ip === undefined || key.includes('%'))) {
      problems.push({ code: 'CONFIG_INVALID', path: at, message: `"${key}" is neither a MAC address (aa:bb:cc:dd:ee:ff, AA-BB-CC-DD-EE-FF, aabb.ccdd.eeff) nor an IP address` });
      continue;
    }
    const normal = mac ?? ip ?? key;
    const earlier = seenKey.get(normal);
    if (earlier !== undefined) {
      problems.push({ code: 'CONFIG_INVALID', path: at, message: `names the same ${mac !== undefined ? 'MAC' : 'address'} as ${path}.${earlier}` });
      continue;
    }
    seenKey.set(normal, key);
    if (mac !== undefined) byMac.set(mac, name);
    else byIp.set(normal, name);
  }
  return { names: { byMac, byIp }, problems };
}
