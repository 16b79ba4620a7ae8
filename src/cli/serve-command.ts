import ipaddr from 'ipaddr.js';
import { startDaemon } from '../app.js';
import type { ConfigOverrides } from '../config/overrides.js';
import { CamshimError } from '../errors.js';
import { isIpAddress } from '../net/ip-text.js';
import { createRootLogger, type LogLevel } from '../log/logger.js';
import type { CommandModule } from './run-cli.js';
import { withConfigOption } from './common-options.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function portCheck(name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535)) {
    throw new Error(`--${name} must be a port number from 0 to 65535, got ${String(value)}`);
  }
}

export const serveCommand: CommandModule = {
  register(argv, setResult) {
    return argv.command('serve', 'run the DNS sinkhole (and NTP server) daemon', (command) => withConfigOption(command)
      .option('listen', { type: 'string', array: true, requiresArg: true, describe: 'address to listen on (repeatable); overrides dns.listen' })
      .option('dns-port', { type: 'number', requiresArg: true, describe: 'DNS port (default 53); 0 picks a free port' })
      .option('ntp-port', { type: 'number', requiresArg: true, describe: 'NTP port (default 123)' })
      .option('blocklist', { type: 'string', array: true, requiresArg: true, describe: 'extra blocklist file or folder (repeatable)' })
      .option('upstream', { type: 'string', array: true, requiresArg: true, describe: 'upstream DNS server HOST[:PORT] (repeatable)' })
      .option('resolv-conf', { type: 'string', requiresArg: true, describe: 'resolver list to read when no upstream is set (default /etc/resolv.conf)' })
      .option('log-level', { type: 'string', choices: LOG_LEVELS, requiresArg: true, describe: 'log level (default info)' })
      .check((args) => {
        portCheck('dns-port', args['dns-port']);
        portCheck('ntp-port', args['ntp-port']);
        for (const address of (args.listen as string[] | undefined) ?? []) {
          if (!isIpAddress(address)) throw new Error(`--listen needs an IP address, got "${address}"`);
        }
        return true;
      }),
    (args) => {
      const overrides: ConfigOverrides = {
        ...(args.listen === undefined ? {} : { listen: args.listen.map((address) => ipaddr.parse(address).toString()) }),
        ...(args['dns-port'] === undefined ? {} : { dnsPort: args['dns-port'] }),
        ...(args['ntp-port'] === undefined ? {} : { ntpPort: args['ntp-port'] }),
        ...(args.blocklist === undefined ? {} : { blocklists: args.blocklist }),
        ...(args.upstream === undefined ? {} : { upstreams: args.upstream }),
        ...(args['resolv-conf'] === undefined ? {} : { resolvConf: args['resolv-conf'] }),
        ...(args['log-level'] === undefined ? {} : { logLevel: args['log-level'] as LogLevel }),
      };
      setResult(() => serve(args.config, overrides));
    });
  },
};

/** Runs until SIGTERM/SIGINT. Resolves with the exit code. */
async function serve(configFile: string | undefined, overrides: ConfigOverrides): Promise<number> {
  const root = createRootLogger(overrides.logLevel ?? 'info');
  const { logger } = root;
  let daemon;
  try {
    daemon = await startDaemon({ configFile, overrides, logger });
  } catch (error) {
    // One message on stderr (journald keeps it too); a stack only for errors we did not expect.
    const message = error instanceof CamshimError ? error.message : (error as Error).stack ?? String(error);
    root.flush();
    process.stderr.write(`camshim: ${message}\n`);
    return 1;
  }
  const started = daemon;
  process.on('SIGHUP', () => { void started.reload(); });
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ event: 'stop', signal, stats: started.handler.stats, upstream: started.upstream.statsSnapshot(), ntp: started.ntp?.stats() }, 'camshim stopping');
      void started.close().finally(() => {
        root.flush();
        resolve(0);
      });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}
