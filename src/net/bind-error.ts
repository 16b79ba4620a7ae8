import { CamshimError, type ErrorCode } from '../errors.js';

/** Which server failed to bind, and what a user should know about its port. */
export interface BindTarget {
  readonly service: 'DNS' | 'NTP';
  readonly protocol: 'udp' | 'tcp';
  readonly address: string;
  readonly port: number;
}

/** Who usually holds each service's port, and where its address and port are set. */
const HINTS = {
  DNS: {
    inUse: 'most likely by systemd-resolved (stub listener), dnsmasq or another DNS server',
    inUseFix: 'stop it or set DNSStubListener=no in /etc/systemd/resolved.conf, or listen on a specific address with --listen',
    trialPort: '--dns-port 5300',
    setting: 'dns.listen / --listen',
  },
  NTP: {
    inUse: 'most likely by chronyd, ntpd, openntpd or systemd-timesyncd',
    inUseFix: 'stop or reconfigure that server (chrony: "port 0" keeps it a client only; ntpd: "interface ignore wildcard"), bind camshim to a specific address, or set ntp.port / ntp.enabled: false',
    trialPort: '--ntp-port 1123 (and DNAT udp/123 to it)',
    setting: 'ntp.listen',
  },
} as const;

/** `host:port`, with brackets for IPv6. */
export function formatEndpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * Turns a socket bind failure into one clear message naming the likely cause and the fix, with
 * a stable code per service (DNS_BIND_DENIED, NTP_PORT_IN_USE, ...). One function for DNS and
 * NTP, so both say the same things the same way.
 */
export function bindError(error: unknown, target: BindTarget): CamshimError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const where = `${formatEndpoint(target.address, target.port)}/${target.protocol}`;
  const hint = HINTS[target.service];
  const context = { address: target.address, port: target.port, protocol: target.protocol, syscallCode: code ?? '' };
  const make = (suffix: 'BIND_DENIED' | 'PORT_IN_USE' | 'ADDRESS_UNAVAILABLE' | 'BIND_FAILED', message: string): CamshimError =>
    new CamshimError(`${target.service}_${suffix}` as ErrorCode, `${target.service}: ${message}`, context, { cause: error });
  if (code === 'EACCES' || code === 'EPERM') {
    return make('BIND_DENIED', `cannot listen on ${where}: permission denied. Ports below 1024 need root or CAP_NET_BIND_SERVICE: ` +
      'run under the shipped systemd unit (AmbientCapabilities=CAP_NET_BIND_SERVICE), or ' +
      `'setcap cap_net_bind_service=+ep "$(readlink -f "$(which node)")"', or use ${hint.trialPort} for a trial`);
  }
  if (code === 'EADDRINUSE') {
    return make('PORT_IN_USE', `cannot listen on ${where}: the port is already in use, ${hint.inUse}. ` +
      `Find it with 'ss -lnp "sport = :${target.port}"'; ${hint.inUseFix}`);
  }
  if (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT') {
    return make('ADDRESS_UNAVAILABLE', `cannot listen on ${where}: this machine has no such address${code === 'EAFNOSUPPORT' ? ' (IPv6 disabled?)' : ''}; check ${hint.setting}`);
  }
  return make('BIND_FAILED', `cannot listen on ${where}: ${error instanceof Error ? error.message : String(error)}`);
}
