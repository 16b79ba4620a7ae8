import type { Logger } from 'pino';
import { startDaemon } from '../app.js';
import { runPrimary, workerSlot, type WorkerReady } from '../cluster/primary.js';
import { LOG_LEVELS } from '../config/config-schema.js';
import { loadConfig, type LoadedConfig, type LoadOptions } from '../config/load-config.js';
import type { ConfigOverrides } from '../config/overrides.js';
import { loadListSet } from '../lists/list-set.js';
import { CamshimError, formatProblem } from '../errors.js';
import { createRootLogger } from '../log/logger.js';
import type { CommandModule } from './command-module.js';
import { commandText } from './commands.js';
import { listOverrides } from './common-options.js';
import { CONFIG_OPTIONS, LIST_OPTIONS, pickOptions, yargsOptions, type OptionSpecs, type ParsedOptions } from './option-specs.js';
import { quickParse } from './quick-parse.js';
import { removePidFile, writePidFile } from './pid-file.js';
import { notifyReady, whenServing, type NotifyResult } from '../service/ready-notify.js';
import { releaseYoungGeneration } from '../service/young-generation.js';
import type { HttpListener } from '../http/http-server.js';
import { openLogOutput, stormOptions } from '../log/log-output.js';

/**
 * `serve`'s options. The flags are taken as text: the config schema checks them with the file
 * (one set of rules, one style of message, naming the flag), and a bad one exits with code 2.
 */
export const SERVE_OPTIONS = {
  ...CONFIG_OPTIONS,
  ...LIST_OPTIONS,
  listen: { array: true, describe: 'address to listen on (repeatable); overrides dns.listen' },
  'dns-port': { describe: 'DNS port, 1-65535 (default 53)' },
  'ntp-port': { describe: 'NTP port, 1-65535 (default 123); 0: no NTP server' },
  upstream: { array: true, describe: 'upstream DNS server IP[:PORT] or [IPv6]:PORT (repeatable)' },
  'resolv-conf': { describe: 'resolver list to read when no upstream is set (default /etc/resolv.conf)' },
  'log-level': { describe: `log level: ${LOG_LEVELS.join(', ')} (default info)` },
  'pid-file': { describe: 'write the daemon\'s pid here once it serves (for `lists update --pid-file`); default: none' },
  http: { describe: 'serve /metrics, /healthz and the dashboard on ADDR:PORT, e.g. 127.0.0.1:9153; overrides http.listen' },
  'log-format': { describe: 'log lines as json or pretty (default auto: pretty on a terminal, else json); overrides log.format' },
  workers: { describe: 'processes answering DNS on the same sockets, e.g. one per core (default 1); overrides dns.workers' },
} as const satisfies OptionSpecs;

export type ServeOptions = ParsedOptions<typeof SERVE_OPTIONS>;

export const serveCommand: CommandModule = {
  register(argv, setResult) {
    const text = commandText('serve');
    return argv.command(text.command, text.describe, (command) => command.options(yargsOptions(SERVE_OPTIONS)),
      (args) => { setResult(serveWith(pickOptions(args, SERVE_OPTIONS))); });
  },
  // The daemon's start skips yargs when the command line is plainly right (quick-parse.ts).
  quick(args) {
    const options = quickParse(args, SERVE_OPTIONS);
    return options === undefined ? undefined : serveWith(options);
  },
};

/** The daemon's run, for the options given. */
function serveWith(options: ServeOptions): () => Promise<number> {
  const overrides: ConfigOverrides = {
    ...(options.listen === undefined ? {} : { listen: options.listen }),
    ...(options['dns-port'] === undefined ? {} : { dnsPort: options['dns-port'] }),
    ...(options['ntp-port'] === undefined ? {} : { ntpPort: options['ntp-port'] }),
    ...listOverrides(options),
    ...(options.upstream === undefined ? {} : { upstreams: options.upstream }),
    ...(options['resolv-conf'] === undefined ? {} : { resolvConf: options['resolv-conf'] }),
    ...(options['log-level'] === undefined ? {} : { logLevel: options['log-level'] }),
    ...(options['log-format'] === undefined ? {} : { logFormat: options['log-format'] }),
    ...(options.workers === undefined ? {} : { workers: options.workers }),
    ...(options.http === undefined ? {} : { http: options.http }),
  };
  return () => serve(options.config, overrides, options['pid-file']);
}

/** Runs until SIGTERM/SIGINT. Resolves with the exit code. */
async function serve(configFile: string | undefined, overrides: ConfigOverrides, pidFile: string | undefined): Promise<number> {
  // Test runs bind port 0 and read the ports from the start line; a user's port 0 is an error (DNS) or "off" (NTP).
  const loadOptions: LoadOptions = { ephemeralPorts: process.env.CAMSHIM_TEST_EPHEMERAL_PORTS === '1' };
  // Read and checked once; a problem ends here (runCli: exit code 2 for a bad flag, 1 for a bad file).
  const loaded = await loadConfig(configFile, overrides, loadOptions);
  // A log file that cannot be opened ends here too (LOG_FILE_OPEN, exit code 1).
  const output = await openLogOutput(loaded.config.log, loaded.baseDir);
  const root = createRootLogger(loaded.config.log.level, output.destination, { format: output.format, colour: output.colour });
  const slot = workerSlot();
  if (slot === undefined && loaded.config.dns.workers > 1) {
    // The primary answers no queries; each worker starts as a daemon does.
    releaseYoungGeneration();
    return servePrimary(loaded, root, pidFile);
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
  let httpListener: HttpListener | undefined;
  // /metrics and /healthz only when asked for: prom-client is loaded for them alone, while the daemon starts.
  const httpModule = loaded.config.http.listen === undefined ? undefined : import('../http/serve-http.js');
  // Awaited below; a start that fails before then must not leave its rejection unhandled.
  httpModule?.catch(() => undefined);
  try {
    const queryLog = root.queryLog(logger, slot === undefined ? {} : { worker: slot }, stormOptions(loaded.config.log));
    const http = httpModule === undefined ? undefined : await httpModule;
    // The dashboard adds up every logged decision itself, so it works whatever the log's level and destination.
    // A worker sends its decisions to the primary, which serves the one dashboard.
    const live = http?.dashboardSummary(loaded.config.http, slot !== undefined);
    const feed = slot === undefined ? undefined : http?.workerDashboardFeed(loaded.config.http, slot);
    daemon = await startDaemon({
      loaded, reloadConfig: () => loadConfig(configFile, overrides, loadOptions), logger, queryLog: (live ?? feed)?.tap(queryLog) ?? queryLog,
      logOutput: output.description,
      ...(slot === undefined ? {} : { worker: { slot } }),
    });
    if (http !== undefined) {
      try {
        const source = http.daemonMetricsSource(daemon, { dropped: () => root.dropped(), collapsed: () => queryLog.collapsed() });
        feed?.serve(daemon, loaded);
        httpListener = await http.startDaemonHttp(loaded.config.http, daemon, source, logger, slot !== undefined, live === undefined ? undefined : { live, baseDir: loaded.baseDir });
      } catch (error) {
        await daemon.close();
        throw error;
      }
    }
  } catch (error) {
    // One message on stderr (journald keeps it too); a stack only for errors we did not expect.
    const message = error instanceof CamshimError ? error.message : (error as Error).stack ?? String(error);
    await root.close();
    process.stderr.write(`camshim: ${message}\n`);
    return 1;
  }
  const started = daemon;
  // Held by runCli while the daemon started: a query load gets the young generation it needs.
  releaseYoungGeneration();
  // Only the process that takes SIGHUP writes it (a cluster worker does not).
  if (pidFile !== undefined && slot === undefined) await writePidFile(pidFile);
  // DNS answers from here: a worker tells the primary, which tells systemd once all have (and
  // serves /healthz from what the workers report, again after each applied reload).
  const reportReady = (): void => {
    const message: WorkerReady = { type: 'camshim:ready', listProblems: started.handler.state.lists.errors.map(formatProblem) };
    process.send?.(message);
  };
  process.on('SIGHUP', () => { void started.reload().then((result) => { if (result.applied && slot !== undefined && started.sockets.length > 0) reportReady(); }); });
  void whenServing(() => started.sockets.length > 0).then(() => {
    if (slot !== undefined) reportReady();
    else void notifyReady('serving DNS').then((result) => { logNotify(logger, result); });
  });
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ event: 'stop', signal, stats: started.handler.stats, upstream: started.upstream.statsSnapshot(), ntp: started.ntp?.stats() }, 'camshim stopping');
      void Promise.all([httpListener?.close(), started.close()]).finally(async () => {
        if (pidFile !== undefined && slot === undefined) await removePidFile(pidFile).catch(() => undefined);
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

/**
 * The `--workers` primary: loads the lists once so the compiled cache is fresh (workers then
 * start from it in milliseconds instead of each parsing the text), then supervises the workers.
 */
async function servePrimary(loaded: LoadedConfig, root: ReturnType<typeof createRootLogger>, pidFile: string | undefined): Promise<number> {
  const workers = { count: loaded.config.dns.workers, serving: 0, listProblems: [] as readonly string[] };
  let httpListener: HttpListener | undefined;
  try {
    await loadListSet(loaded.config, { baseDir: loaded.baseDir });
    if (loaded.config.http.listen !== undefined) httpListener = await (await import('../http/serve-http.js')).startPrimaryHttp(loaded.config.http, workers, root.logger);
  } catch (error) {
    // Lists that cannot be built would fail in every worker, and a listener that cannot bind is asked for: say it once and exit.
    const message = error instanceof CamshimError ? error.message : (error as Error).stack ?? String(error);
    await root.close();
    process.stderr.write(`camshim: ${message}\n`);
    return 1;
  }
  // The primary takes SIGHUP and passes it to the workers: its pid is the one to signal.
  if (pidFile !== undefined) await writePidFile(pidFile);
  const code = await runPrimary({
    workers: loaded.config.dns.workers, logger: root.logger,
    onServing: (count, listProblems) => { workers.serving = count; workers.listProblems = listProblems; },
    onAllReady: () => { void notifyReady(`serving DNS with ${loaded.config.dns.workers} workers`).then((result) => { logNotify(root.logger, result); }); },
  });
  if (pidFile !== undefined) await removePidFile(pidFile).catch(() => undefined);
  await httpListener?.close();
  await root.close();
  return code;
}

function logNotify(logger: Logger, result: NotifyResult): void {
  if (!result.sent) return;
  if (result.ok) logger.info({ event: 'ready', detail: result.detail }, 'told systemd camshim is ready');
  else logger.error({ event: 'ready', detail: result.detail }, `could not tell systemd camshim is ready (the unit needs NotifyAccess=all): ${result.detail}`);
}
