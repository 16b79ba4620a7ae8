/**
 * The NTP servers the real-client tests talk to, shared by the in-process tests and by
 * server-process.ts, which runs one inside a private network namespace for clients that only
 * speak to port 123.
 */
import { startNtpServer, type NtpServerHandle } from '../../src/ntp/server.js';
import { captureLogger, fixedStatus, sendThenMarker, synced, testOptions } from './helpers.js';

export type ClientTestServerKind = 'synced' | 'implausible';

/** A synchronised server with a generous rate limit, warmed up so the first client sample is not slowed by compilation. */
export async function startSyncedServer(port: number, listen: string[]): Promise<NtpServerHandle> {
  const handle = await startNtpServer(testOptions({ port, listen, rateLimit: { enabled: true, ratePerSecond: 100, burst: 100, maxClients: 64, overLimit: 'kod', leakProbability: 0 } }), {
    logger: captureLogger('warn').logger,
    classify: () => ({ allowed: true, group: 'test' }),
    syncStatus: fixedStatus(synced({ rootDelay: 0.0005, rootDispersion: 0.0005 })),
  });
  for (const a of handle.addresses()) {
    for (let i = 0; i < 5; i++) await sendThenMarker(a.address, a.port, []);
  }
  return handle;
}

/** notBefore in the future: the server's own clock reads "before the build date", so clients must not trust it. */
export function startImplausibleServer(port: number, listen: string[]): Promise<NtpServerHandle> {
  return startNtpServer(testOptions({ port, listen, notBefore: new Date('2099-01-01T00:00:00Z') }), {
    logger: captureLogger('error').logger,
    classify: () => ({ allowed: true, group: 'test' }),
    syncStatus: fixedStatus(synced()),
  });
}

export function startClientTestServer(kind: ClientTestServerKind, port: number, listen: string[]): Promise<NtpServerHandle> {
  return kind === 'synced' ? startSyncedServer(port, listen) : startImplausibleServer(port, listen);
}
