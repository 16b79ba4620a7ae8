import ipaddr from 'ipaddr.js';
import path from 'node:path';
import { startDaemon } from '../app.js';
import { runPrimary, workerSlot } from '../cluster/primary.js';
import { loadConfig } from '../config/load-config.js';
import { applyOverrides, type ConfigOverrides } from '../config/overrides.js';
import { loadListSet } from '../lists/list-set.js';
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
      .option('workers', { type: 'number', requiresArg: true, describe: 'processes answering DNS on the same sockets, e.g. one per core (default 1); overrides dns.workers' })
      .check((args) => {
        const workers = args.workers as unknown;
        if (workers !== undefined && (typeof workers !== 'number' || !Number.isInteger(workers) || workers < 1 || workers > 64)) {
          throw new Error(`--workers must be a whole number from 1 to 64, got ${String(workers)}`);
        }
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
        ...(args.workers === undefined ? {} : { workers: args.workers }),
      };
      setResult(() => serve(args.config, overrides));
    });
  },
};

/** Runs until SIGTERM/SIGINT. Resolves with the exit code. */
async function serve(configFile: string | undefined, overrides: ConfigOverrides): Promise<number> {
  const root = createRootLogger(overrides.logLevel ?? 'info');
  const slot = workerSlot();
  if (slot === undefined) {
    const workers = await configuredWorkers(configFile, overrides);
    if (workers > 1) return servePrimary(configFile, overrides, workers, root);
  }
  const logger = slot === undefined ? root.logger : root.logger.child({ worker: slot });
  // Signals are caught from here on: a SIGTERM that arrives while the daemon is still starting
  // (its start line may already be out) stops it cleanly once it is up, instead of killing it.
  let stopRequested: string | undefined;
  let onStop: ((signal: string) => void) | undefined;
  const request = (signal: string): void => { if (onStop === undefined) stopRequested ??= signal; else onStop(signal); };
  process.on('SIGTERM', () => request('SIGTERM'));
  process.on('SIGINT', () => request('SIGINT'));
  let daemon;
  try {
    daemon = await startDaemon({
      configFile, overrides, logger,
      queryLog: root.queryLog(logger, slot === undefined ? {} : { worker: slot }),
      ...(slot === undefined ? {} : { worker: { slot } }),
    });
  } catch (error) {
    // One message on stderr (journald keeps it too); a stack only for errors we did not expect.
    const message = error instanceof CamshimError ? error.message : (error as Error).stack ?? String(error);
    await root.close();
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
      void started.close().finally(async () => {
        const drained = await root.close();
        // A write stuck behind a log reader that stopped reading would keep the process alive:
        // once the exit code is set, nothing else is left to do.
        if (!drained) setTimeout(() => process.exit(), 0).unref();
        // A cluster worker's IPC channel would keep it alive; letting go of it lets the process end.
        if (slot !== undefined) process.disconnect?.();
        resolve(0);
      });
    };
    onStop = stop;
    if (stopRequested !== undefined) stop(stopRequested);
  });
}

/** dns.workers after flags; 1 when the config cannot be read (startDaemon then reports why). */
async function configuredWorkers(configFile: string | undefined, overrides: ConfigOverrides): Promise<number> {
  try {
    return applyOverrides((await loadConfig(configFile)).config, overrides).dns.workers;
  } catch {
    return 1;
  }
}

/**
 * The `--workers` primary: loads the lists once so the compiled cache is fresh (workers then
 * start from it in milliseconds instead of each parsing the text), then supervises the workers.
 */
async function servePrimary(configFile: string | undefined, overrides: ConfigOverrides, workers: number, root: ReturnType<typeof createRootLogger>): Promise<number> {
  try {
    const config = applyOverrides((await loadConfig(configFile)).config, overrides);
    root.logger.level = config.log.level;
    await loadListSet(config, { baseDir: configFile === undefined ? process.cwd() : path.dirname(path.resolve(configFile)) });
  } catch (error) {
    // A config that cannot be read would fail in every worker: say it once and exit.
    const message = error instanceof CamshimError ? error.message : (error as Error).stack ?? String(error);
    await root.close();
    process.stderr.write(`camshim: ${message}\n`);
    return 1;
  }
  const code = await runPrimary({ workers, logger: root.logger });
  await root.close();
  return code;
}
