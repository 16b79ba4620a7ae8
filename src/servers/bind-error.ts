import { CamshimError } from '../errors.js';

/** Turns a socket bind failure into one clear message naming the likely cause and the fix. */
export function bindError(error: unknown, protocol: 'udp' | 'tcp', address: string, port: number): CamshimError {
  const code = (error as NodeJS.ErrnoException).code;
  const where = `${address.includes(':') ? `[${address}]` : address}:${port}/${protocol}`;
  if (code === 'EACCES' || code === 'EPERM') {
    return new CamshimError('DNS_BIND_DENIED',
      `cannot listen on ${where}: permission denied. Ports below 1024 need root or CAP_NET_BIND_SERVICE: ` +
      `run under the shipped systemd unit (AmbientCapabilities=CAP_NET_BIND_SERVICE), or ` +
      `'setcap cap_net_bind_service=+ep "$(readlink -f "$(which node)")"', or use --dns-port 5353 for a trial`,
      { address, port, protocol });
  }
  if (code === 'EADDRINUSE') {
    return new CamshimError('DNS_PORT_IN_USE',
      `cannot listen on ${where}: the port is already in use, most likely by systemd-resolved (stub listener), ` +
      `dnsmasq or another DNS server. Find it with 'ss -lunp "sport = :${port}"'; stop it or set ` +
      `DNSStubListener=no in /etc/systemd/resolved.conf, or listen on a specific address with --listen`,
      { address, port, protocol });
  }
  if (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT') {
    return new CamshimError('DNS_BIND_ADDRESS',
      `cannot listen on ${where}: this machine has no such address${code === 'EAFNOSUPPORT' ? ' (IPv6 disabled?)' : ''}; check dns.listen / --listen`,
      { address, port, protocol });
  }
  return new CamshimError('DNS_BIND_FAILED', `cannot listen on ${where}: ${(error as Error).message}`, { address, port, protocol }, { cause: error });
}
