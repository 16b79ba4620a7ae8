import type { Config } from '../config/config-schema.js';
import { RELEASE_DATE } from '../release.js';
import type { NtpServerOptions } from './server.js';

/**
 * The NTP server's options from the config, or undefined when NTP is off. NTP listens where
 * DNS listens unless `ntp.listen` says otherwise, so `--listen` moves both.
 */
export function ntpOptionsFromConfig(config: Config): NtpServerOptions | undefined {
  if (!config.ntp.enabled) return undefined;
  const listen = config.ntp.listen ?? config.dns.listen;
  if (listen.length === 0) return undefined;
  return {
    listen,
    port: config.ntp.port,
    stratum: config.ntp.stratum,
    localStratum: config.ntp.localStratum,
    notBefore: RELEASE_DATE,
    rateLimit: { ...config.ntp.rateLimit },
  };
}
