/**
 * Command-line flags that override the config file (`camshim serve --listen ... --dns-port ...`),
 * as typed: they are written into the parsed file before it is validated, so the schema checks
 * a flag exactly as it checks the file, and a problem in a value that came from a flag is
 * reported under the flag's name.
 */
export interface ConfigOverrides {
  readonly listen?: readonly string[];
  readonly dnsPort?: string;
  readonly ntpPort?: string;
  readonly blocklists?: readonly string[];
  readonly upstreams?: readonly string[];
  readonly resolvConf?: string;
  readonly logLevel?: string;
  readonly logFormat?: string;
  readonly workers?: string;
  readonly stateDir?: string;
  readonly http?: string;
}

/** Where each flag lands in the config; `append` adds to a list instead of replacing it. */
const FLAGS: Record<keyof ConfigOverrides, { readonly flag: string; readonly path: readonly [string, string, ...string[]]; readonly number?: true; readonly append?: true }> = {
  listen: { flag: '--listen', path: ['dns', 'listen'] },
  dnsPort: { flag: '--dns-port', path: ['dns', 'port'], number: true },
  ntpPort: { flag: '--ntp-port', path: ['ntp', 'port'], number: true },
  blocklists: { flag: '--blocklist', path: ['lists', 'sources'], append: true },
  upstreams: { flag: '--upstream', path: ['upstream', 'servers'] },
  resolvConf: { flag: '--resolv-conf', path: ['upstream', 'resolvConf'] },
  logLevel: { flag: '--log-level', path: ['log', 'level'] },
  logFormat: { flag: '--log-format', path: ['log', 'format'] },
  workers: { flag: '--workers', path: ['dns', 'workers'], number: true },
  stateDir: { flag: '--state-dir', path: ['lists', 'remote', 'stateDir'] },
  http: { flag: '--http', path: ['http', 'listen'] },
};

/** A config path (as problems name it) that holds a flag's value. */
export interface FlagOrigin {
  readonly path: string;
  readonly flag: string;
}

/** Numeric text becomes a number; anything else stays text, for the schema to say what it is not. */
function numeric(text: string): number | string {
  return /^[-+]?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : text;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Writes the flags into a parsed config document (a copy; the input is not changed). A section
 * the file wrote as something other than a mapping is left alone: the schema reports it.
 */
export function applyOverrides(document: unknown, overrides: ConfigOverrides): { document: unknown; origins: FlagOrigin[] } {
  if (!isMapping(document)) return { document, origins: [] };
  const next: Record<string, unknown> = structuredClone(document);
  const origins: FlagOrigin[] = [];
  for (const key of Object.keys(FLAGS) as (keyof ConfigOverrides)[]) {
    const value = overrides[key];
    if (value === undefined) continue;
    const { flag, path: [sectionName, ...rest], number, append } = FLAGS[key];
    // Walk down to the mapping that holds the field, making missing levels (lists.remote.stateDir).
    const field = rest.pop()!;
    const section = next[sectionName] ?? {};
    if (!isMapping(section)) continue;
    next[sectionName] = section;
    let holder: Record<string, unknown> = section;
    const parents = [sectionName];
    let blocked = false;
    for (const level of rest) {
      const inner = holder[level] ?? {};
      if (!isMapping(inner)) { blocked = true; break; }
      holder[level] = inner;
      holder = inner;
      parents.push(level);
    }
    if (blocked) continue;
    if (append === true && key === 'blocklists') {
      const current = Array.isArray(holder[field]) ? holder[field] as unknown[] : [];
      // A URL is downloaded into the state folder; anything else is a file or folder.
      const added = (value as readonly string[]).map((path) => (/^https?:\/\//i.test(path) ? { url: path } : { path }));
      added.forEach((_, index) => origins.push({ path: `${parents.join('.')}.${field}[${current.length + index}]`, flag }));
      holder[field] = [...current, ...added];
    } else {
      holder[field] = typeof value === 'string' ? (number === true ? numeric(value) : value) : [...value];
      origins.push({ path: `${parents.join('.')}.${field}`, flag });
    }
  }
  return { document: next, origins };
}

/** The flag a problem's path came from, if any. */
export function flagOf(path: string, origins: readonly FlagOrigin[]): string | undefined {
  return origins.find((origin) => path === origin.path || path.startsWith(`${origin.path}.`) || path.startsWith(`${origin.path}[`))?.flag;
}
