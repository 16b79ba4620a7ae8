import type { Config } from '../config/config-schema.js';
import { RELEASE_DATE } from '../release.js';
import type { NtpServerOptions } from './server.js';

/**
 * The NTP server's options from the config, or undefined when NTP is off (`ntp.enabled: false`,
 * or port 0). NTP listens where DNS listens unless `ntp.listen` says otherwise, so `--listen`
 * moves both. The values are the schema's: nothing is checked again here.
 */
export function ntpOptionsFromConfig(config: Config): NtpServerOptions | undefined {
  if (!config.ntp.enabled) return undefined;
  return {
    listen: config.ntp.listen ?? config.dns.listen,
    port: config.ntp.port,
    stratum: config.ntp.stratum,
    localStratum: config.ntp.localStratum,
    notBefore: RELEASE_DATE,
    rateLimit: config.ntp.rateLimit,
  };
}
