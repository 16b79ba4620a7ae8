import type { Config } from './config-schema.js';
import type { LogLevel } from '../log/logger.js';

/** Command-line flags that override the config file (`camshim serve --listen ... --dns-port ...`). */
export interface ConfigOverrides {
  readonly listen?: readonly string[];
  readonly dnsPort?: number;
  readonly ntpPort?: number;
  readonly blocklists?: readonly string[];
  readonly upstreams?: readonly string[];
  readonly resolvConf?: string;
  readonly logLevel?: LogLevel;
  readonly workers?: number;
}

/** Returns a new config with the flags applied; the input is not changed. */
export function applyOverrides(config: Config, overrides: ConfigOverrides): Config {
  const next = structuredClone(config);
  if (overrides.listen !== undefined && overrides.listen.length > 0) next.dns.listen = [...overrides.listen];
  if (overrides.dnsPort !== undefined) next.dns.port = overrides.dnsPort;
  if (overrides.ntpPort !== undefined) next.ntp.port = overrides.ntpPort;
  if (overrides.upstreams !== undefined && overrides.upstreams.length > 0) next.upstream.servers = [...overrides.upstreams];
  if (overrides.resolvConf !== undefined) next.upstream.resolvConf = overrides.resolvConf;
  if (overrides.logLevel !== undefined) next.log.level = overrides.logLevel;
  if (overrides.workers !== undefined) next.dns.workers = overrides.workers;
  for (const path of overrides.blocklists ?? []) next.lists.sources.push({ path, kind: 'block', name: undefined });
  return next;
}
