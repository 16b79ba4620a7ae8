import { CamshimError, type ErrorCode } from '../errors.js';

/**
 * Errors raised by the NTP server. Each carries a stable `code` that callers
 * (CLI, app composition root) can switch on, and optional context for logs.
 */

export type NtpErrorCode = Extract<ErrorCode, `NTP_${string}`>;

/** The NTP side's errors: project-wide CamshimErrors restricted to NTP codes. */
export class NtpError extends CamshimError {
  declare readonly code: NtpErrorCode;

  constructor(code: NtpErrorCode, message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(code, message, context, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NtpError';
  }
}

/** `host:port`, with brackets for IPv6. */
export function formatEndpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Map a dgram bind failure to an NtpError naming the endpoint, the likely cause and the fix. */
export function bindError(address: string, port: number, err: unknown): NtpError {
  const endpoint = formatEndpoint(address, port);
  const sysCode = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  const context = { address, port, syscallCode: sysCode };
  switch (sysCode) {
    case 'EACCES':
    case 'EPERM':
      return new NtpError(
        'NTP_BIND_DENIED',
        `NTP: permission denied binding udp ${endpoint}. Ports below 1024 need root or CAP_NET_BIND_SERVICE ` +
          `(systemd: AmbientCapabilities=CAP_NET_BIND_SERVICE; or: setcap cap_net_bind_service=+ep "$(readlink -f "$(which node)")"), ` +
          `or set ntp.port to a port above 1023 and DNAT udp/123 to it.`,
        context,
        { cause: err },
      );
    case 'EADDRINUSE':
      return new NtpError(
        'NTP_PORT_IN_USE',
        `NTP: udp ${endpoint} is already in use, most likely by chronyd, ntpd, openntpd or systemd-timesyncd's peer ` +
          `(check: ss -ulpn 'sport = :${port}'). Stop or reconfigure that server (chrony: "port 0" keeps it as a client only; ` +
          `ntpd: "interface ignore wildcard"), bind camshim to a specific address, or set ntp.port / ntp.enabled=false.`,
        context,
        { cause: err },
      );
    case 'EADDRNOTAVAIL':
      return new NtpError(
        'NTP_ADDRESS_UNAVAILABLE',
        `NTP: cannot bind udp ${endpoint}: the address is not configured on this host. Fix ntp.listen ` +
          `(use an address shown by "ip addr", or 0.0.0.0 / ::).`,
        context,
        { cause: err },
      );
    default:
      return new NtpError(
        'NTP_BIND_FAILED',
        `NTP: cannot bind udp ${endpoint}: ${err instanceof Error ? err.message : String(err)}`,
        context,
        { cause: err },
      );
  }
}
