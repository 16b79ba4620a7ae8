import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseConfigText } from '../../../src/config/parse-yaml.js';
import { emptyMatch } from '../../../src/lists/domain-table.js';
import { loadListSet } from '../../../src/lists/list-set.js';
import type { Dataset } from './data.js';
import { latencySummary, runDnsperf, type DnsperfResult } from './dnsperf.js';
import { cpuSeconds, rssBytes, runPinned, sleep, stopProcess } from './proc.js';
import { startServer, type RunningServer, type ServerKind, type ServerSpec } from './servers.js';
import { median } from './stats.js';

/** Where things run: servers on one core, load generators on another (when there are two). */
export interface Placement {
  readonly serverCpus: string;
  readonly clientCpus: string;
  readonly allCpus: string;
}

export interface BenchContext {
  readonly placement: Placement;
  readonly outDir: string;
  readonly workDir: string;
  readonly cacheDir: string;
  readonly rounds: number;
  readonly seconds: number;
  readonly latencySeconds: number;
  readonly latencyRate: number;
  readonly peers: readonly ServerKind[];
  log(text: string): void;
}

// A base of its own per run (by pid): helpers sharing the machine may run the bench at the same time.
let nextPort = 21_000 + (process.pid % 1000) * 10;
const port = (): number => nextPort++;

export interface ServerResult {
  readonly label: string;
  readonly kind: ServerKind;
  readonly readyMs: number;
  readonly rssIdleMb: number;
  readonly rssAfterMb: number;
  readonly qps: number[];
  readonly cpuUsPerQuery: number[];
  readonly lost: number[];
  readonly latency: { p50: number; p99: number; p999: number; max: number; lost: number; sent: number }[];
  readonly medianQps: number;
  readonly medianCpuUs: number;
  readonly medianP99: number;
  readonly medianP50: number;
}

export interface ThroughputResult {
  readonly dataset: string;
  readonly names: number;
  readonly servers: ServerResult[];
  /** camshim q/s divided by the peer's, per round (same round), then the median. */
  readonly ratios: Record<string, { perRound: number[]; median: number }>;
}

const mb = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10;

/** Latencies of one fixed-rate run, lost queries counted as the 2 s timeout. */
function latencyOf(result: DnsperfResult): ServerResult['latency'][number] {
  const sorted = result.latenciesMs ?? new Float64Array();
  const lost = Math.max(0, result.lost);
  const all = new Float64Array(sorted.length + lost);
  all.set(sorted);
  all.fill(2000, sorted.length);
  return { ...latencySummary(all), lost, sent: result.sent };
}

/**
 * Throughput and fixed-rate latency for camshim and the peers on one dataset. All servers
 * run at once (idle ones cost nothing) and are measured in turn, A B C A B C, so slow drifts
 * in machine load hit every server alike; ratios are taken within a round.
 */
export async function throughputPhase(context: BenchContext, dataset: Dataset): Promise<ThroughputResult> {
  const { placement } = context;
  const kinds: ServerKind[] = ['camshim', ...context.peers];
  const servers: RunningServer[] = [];
  const results = new Map<RunningServer, { qps: number[]; cpu: number[]; lost: number[]; latency: ServerResult['latency']; rssIdle: number }>();
  try {
    for (const kind of kinds) {
      const spec: ServerSpec = {
        kind, label: kind, port: port(), cpus: placement.serverCpus, listFile: dataset.listFile, names: dataset.names,
        workDir: context.workDir, ...(kind === 'camshim' ? { cacheDir: context.cacheDir } : {}),
      };
      context.log(`  starting ${kind} with the ${dataset.name} list (${dataset.names.length} names)`);
      const server = await startServer(spec, path.join(context.outDir, `${kind}-${dataset.name}.log`));
      servers.push(server);
      await sleep(500);
      results.set(server, { qps: [], cpu: [], lost: [], latency: [], rssIdle: rssBytes(server.pid) });
    }
    const dnsperf = (server: RunningServer, seconds: number, extra: { maxQps?: number; perQuery?: boolean } = {}): Promise<DnsperfResult> =>
      runDnsperf({ port: server.port, queryFile: dataset.queryFile, seconds, cpus: placement.clientCpus, ...extra });
    for (const server of servers) await dnsperf(server, 1); // warm-up: JIT, caches
    for (let round = 0; round < context.rounds; round++) {
      for (const server of servers) {
        const before = cpuSeconds(server.pid);
        const result = await dnsperf(server, context.seconds);
        const cpu = cpuSeconds(server.pid) - before;
        const entry = results.get(server)!;
        entry.qps.push(result.qps);
        entry.cpu.push(result.completed > 0 ? (cpu * 1e6) / result.completed : Number.NaN);
        entry.lost.push(result.lost);
        context.log(`  round ${round + 1} ${server.label}: ${Math.round(result.qps)} q/s, ${entry.cpu.at(-1)!.toFixed(1)} us CPU/query, lost ${result.lost}`);
      }
    }
    // As many latency rounds as throughput rounds: a p99 on a shared VM swings with whatever else
    // runs, and the median of five is steadier than the median of three.
    const latencyRounds = Math.max(1, context.rounds);
    for (let round = 0; round < latencyRounds; round++) {
      for (const server of servers) {
        const result = await dnsperf(server, context.latencySeconds, { maxQps: context.latencyRate, perQuery: true });
        const latency = latencyOf(result);
        results.get(server)!.latency.push(latency);
        context.log(`  latency ${round + 1} ${server.label} at ${context.latencyRate} q/s: p50 ${latency.p50.toFixed(3)} ms, p99 ${latency.p99.toFixed(3)} ms, lost ${latency.lost}`);
      }
    }
    const serverResults: ServerResult[] = servers.map((server) => {
      const entry = results.get(server)!;
      return {
        label: server.label, kind: server.kind, readyMs: Math.round(server.readyMs),
        rssIdleMb: mb(entry.rssIdle), rssAfterMb: mb(rssBytes(server.pid)),
        qps: entry.qps, cpuUsPerQuery: entry.cpu, lost: entry.lost, latency: entry.latency,
        medianQps: median(entry.qps), medianCpuUs: median(entry.cpu),
        medianP99: median(entry.latency.map((l) => l.p99)), medianP50: median(entry.latency.map((l) => l.p50)),
      };
    });
    const camshim = serverResults.find((s) => s.kind === 'camshim')!;
    const ratios: ThroughputResult['ratios'] = {};
    for (const peer of serverResults) {
      if (peer === camshim) continue;
      const perRound = camshim.qps.map((q, i) => q / peer.qps[i]!);
      ratios[peer.label] = { perRound, median: median(perRound) };
    }
    return { dataset: dataset.name, names: dataset.names.length, servers: serverResults, ratios };
  } finally {
    for (const server of servers) await server.stop();
  }
}

export interface MemoryResult {
  readonly emptyRssMb: number;
  readonly fromText: { loadMs: number; readyMs: number; rssMb: number; aboveEmptyMb: number };
  readonly fromCache: { loadMs: number; readyMs: number; rssMb: number; aboveEmptyMb: number };
  /** The text-loaded daemon again after RELOADS SIGHUPs, each a full rebuild from text (on the builder thread). */
  readonly afterReloads: { reloads: number; reloadMs: number; rssMb: number; aboveEmptyMb: number };
  readonly tableBytesPerName: number;
  readonly runs: unknown[];
}

/** The list part of the camshim config the bench servers use (same fingerprint, so the same cache). */
function benchListConfig(dataset: Dataset, context: BenchContext): ReturnType<typeof parseConfigText> {
  return parseConfigText(`lists:\n  bundled: false\n  sources: [{ path: ${JSON.stringify(dataset.listFile)}, name: bench }]\n  cache: { dir: ${JSON.stringify(context.cacheDir)} }\n`, 'bench');
}

/** Reloads the memory phase makes of the text-loaded daemon, to show its RSS does not creep. */
const RELOADS = 3;

/** Sends SIGHUP and waits (at most 30 s) for the reload's log line; returns its `ms`. */
async function reloadOnce(server: RunningServer, logFile: string): Promise<number> {
  const count = async (): Promise<RegExpMatchArray[]> => [...(await readFile(logFile, 'utf8')).matchAll(/"event":"reload","applied":(true|false),"generation":\d+,"ms":(\d+)/g)];
  const before = (await count()).length;
  process.kill(server.pid, 'SIGHUP');
  for (let waited = 0; waited < 30_000; waited += 50) {
    const lines = await count();
    if (lines.length > before) {
      const line = lines[lines.length - 1]!;
      if (line[1] !== 'true') throw new Error(`a bench reload was rejected: see ${logFile}`);
      return Number(line[2]);
    }
    await sleep(50);
  }
  throw new Error(`no reload line within 30 s: see ${logFile}`);
}

async function listLoadMs(logFile: string): Promise<number> {
  const match = /"listLoadMs":(\d+)/.exec(await readFile(logFile, 'utf8'));
  return match ? Number(match[1]) : Number.NaN;
}

/**
 * Start-up and memory with the 1M list: an empty-list daemon (the baseline), the list from
 * text (no cache), and from the compiled cache (a restart). RSS is read after the daemon has
 * settled; each variant runs `rounds` times, interleaved, and medians are kept.
 */
export async function memoryPhase(context: BenchContext, dataset: Dataset, rounds: number): Promise<MemoryResult> {
  const variants = [
    { name: 'empty', emptyList: true, cache: false },
    { name: 'text', emptyList: false, cache: false },
    { name: 'cache', emptyList: false, cache: true },
  ] as const;
  const samples: Record<string, { loadMs: number; readyMs: number; rss: number }[]> = { empty: [], text: [], cache: [] };
  const reloadSamples: { reloadMs: number; rss: number }[] = [];
  // The cache variant measures a restart: make sure the cache exists and is current first.
  await loadListSet(benchListConfig(dataset, context));
  for (let round = 0; round < rounds; round++) {
    for (const variant of variants) {
      const logFile = path.join(context.outDir, `camshim-memory-${variant.name}.log`);
      const server = await startServer({
        kind: 'camshim', label: `camshim (${variant.name})`, port: port(), cpus: context.placement.serverCpus,
        listFile: dataset.listFile, names: [], workDir: context.workDir, emptyList: variant.emptyList,
        ...(variant.cache ? { cacheDir: context.cacheDir } : {}),
      }, logFile);
      await sleep(1500);
      const rss = rssBytes(server.pid);
      if (variant.name === 'text') {
        const times: number[] = [];
        for (let reload = 0; reload < RELOADS; reload++) times.push(await reloadOnce(server, logFile));
        await sleep(1500);
        reloadSamples.push({ reloadMs: median(times), rss: rssBytes(server.pid) });
        context.log(`  text, after ${RELOADS} reloads: reload ${median(times)} ms (median), RSS ${mb(reloadSamples.at(-1)!.rss)} MB`);
      }
      await server.stop();
      const loadMs = await listLoadMs(logFile);
      samples[variant.name]!.push({ loadMs, readyMs: server.readyMs, rss });
      context.log(`  ${variant.name}: list load ${loadMs} ms, answering after ${Math.round(server.readyMs)} ms, RSS ${mb(rss)} MB`);
    }
  }
  const pick = (name: string): { loadMs: number; readyMs: number; rssMb: number } => ({
    loadMs: median(samples[name]!.map((s) => s.loadMs)),
    readyMs: Math.round(median(samples[name]!.map((s) => s.readyMs))),
    rssMb: mb(median(samples[name]!.map((s) => s.rss))),
  });
  const empty = pick('empty');
  const text = pick('text');
  const cache = pick('cache');
  const set = await loadListSet(benchListConfig(dataset, context));
  return {
    emptyRssMb: empty.rssMb,
    fromText: { ...text, aboveEmptyMb: Math.round((text.rssMb - empty.rssMb) * 10) / 10 },
    fromCache: { ...cache, aboveEmptyMb: Math.round((cache.rssMb - empty.rssMb) * 10) / 10 },
    afterReloads: {
      reloads: RELOADS,
      reloadMs: median(reloadSamples.map((sample) => sample.reloadMs)),
      rssMb: mb(median(reloadSamples.map((sample) => sample.rss))),
      aboveEmptyMb: Math.round((mb(median(reloadSamples.map((sample) => sample.rss))) - empty.rssMb) * 10) / 10,
    },
    tableBytesPerName: Math.round((set.table.byteSize / set.table.nameCount) * 10) / 10,
    runs: Object.entries(samples),
  };
}

/** Domain table lookups per second, in this process, over the query file's names. */
export async function matcherPhase(context: BenchContext, dataset: Dataset): Promise<{ lookupsPerSecond: number; names: number }> {
  const set = await loadListSet(benchListConfig(dataset, context));
  const names = (await readFile(dataset.queryFile, 'utf8')).split('\n').filter(Boolean).map((line) => line.slice(0, line.indexOf(' ')).toLowerCase());
  const filter = { lists: new Uint8Array(set.lists.length).fill(1), redirects: true };
  const out = emptyMatch();
  let lookups = 0;
  let blocked = 0;
  const started = performance.now();
  const deadline = started + 2000;
  while (performance.now() < deadline) {
    for (const name of names) if (set.table.match(name, filter, out).block >= 0) blocked++;
    lookups += names.length;
  }
  const seconds = (performance.now() - started) / 1000;
  context.log(`  ${Math.round(lookups / seconds)} lookups/s (${Math.round((blocked / lookups) * 100)}% blocked)`);
  return { lookupsPerSecond: Math.round(lookups / seconds), names: set.table.nameCount };
}

/** NTP requests per second through startNtpServer, server and client pinned apart. */
export async function ntpPhase(context: BenchContext): Promise<{ requestsPerSecond: number; cpuUsPerRequest: number } | { skipped: string }> {
  const script = path.resolve(import.meta.dirname, '../ntp-load.js');
  const server = spawn('taskset', ['-c', context.placement.serverCpus, process.execPath, script, 'server'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const portLine = await Promise.race([
      new Promise<string>((resolve) => createInterface({ input: server.stdout }).once('line', resolve)),
      sleep(10_000).then(() => { throw new Error('NTP bench server did not start'); }),
    ]);
    const ntpPort = (JSON.parse(portLine) as { port: number }).port;
    const before = cpuSeconds(server.pid!);
    const run = await runPinned(context.placement.clientCpus, process.execPath, [script, 'client', String(ntpPort), String(context.seconds)], (context.seconds + 10) * 1000);
    const cpu = cpuSeconds(server.pid!) - before;
    const { replies, seconds } = JSON.parse(run.stdout.trim()) as { replies: number; seconds: number };
    const result = { requestsPerSecond: Math.round(replies / seconds), cpuUsPerRequest: Math.round(((cpu * 1e6) / Math.max(1, replies)) * 10) / 10 };
    context.log(`  ${result.requestsPerSecond} NTP requests/s, ${result.cpuUsPerRequest} us server CPU/request`);
    return result;
  } catch (error) {
    return { skipped: (error as Error).message };
  } finally {
    await stopProcess(server);
  }
}

export interface StormResult {
  readonly variant: string;
  /** The well-behaved client's latency, median of the rounds, and its lost queries over all rounds. */
  readonly goodP50: number;
  readonly goodP99: number;
  readonly goodLost: number;
  readonly stormAnsweredQps: number;
  /** The well-behaved client's p99 here divided by its p99 alone (the `no storm` variant of the same round); median of the rounds. */
  readonly p99VsAlone: number;
  /** The sinkhole-log lines (its first query's, and storm summaries) the storming client's one name produced; undefined without a storm. */
  readonly stormLogLines: number | undefined;
  /** Storm windows the run spanned (60 s each): at most two lines per window is the target. */
  readonly stormWindows: number | undefined;
  /** Queries of the storm the log accounts for (first lines plus storm counts), next to the answered total. */
  readonly stormLogged: number | undefined;
  readonly stormAnswered: number | undefined;
}

/** The storm rate the issue's target names: a camera retrying one name this fast must not raise other clients' p99. */
const STORM_FIXED_QPS = 5000;

/**
 * The storm collapser's window in this phase (log.stormWindowSeconds; 60 s by default): short,
 * so that a storm of a few seconds spans several windows and shows the steady state, one line
 * per window, beside the storm's first query's line.
 */
const STORM_WINDOW_SECONDS = 2;

/** The storming client's lines for `name` in a camshim JSON log: how many, and how many queries they account for. */
async function stormLogLines(logFile: string, client: string, name: string): Promise<{ lines: number; queries: number }> {
  let lines = 0;
  let queries = 0;
  for (const text of (await readFile(logFile, 'utf8')).split('\n')) {
    if (!text.includes(name)) continue;
    let line: Record<string, unknown>;
    try { line = JSON.parse(text) as Record<string, unknown>; } catch { continue; }
    if (line.client !== client || line.name !== name) continue;
    if (line.event === 'sinkhole') { lines++; queries++; } else if (line.event === 'storm') { lines++; queries += Number(line.count); }
  }
  return { lines, queries };
}

/**
 * A storming client (one source address repeating one name) next to a well-behaved one
 * (another source address, 80 q/s): the well-behaved client's latency alone, beside a storm of
 * 5,000 q/s (the rate a retrying camera is held to: its p99 should not rise), beside a storm as
 * fast as dnsperf can send with no limiter, and with the per-client limiter dropping the excess.
 * Each p99 is also given as a ratio to the alone p99 of the same run. Both clients share the
 * client core; the storm runs at nice 19 so the measuring client is not delayed by the
 * scheduler (the storm still takes all the CPU it is left).
 */
export async function stormPhase(context: BenchContext, dataset: Dataset): Promise<StormResult[]> {
  const variants = [
    { variant: 'no storm', storm: false, stormQps: undefined, rateLimit: undefined },
    { variant: `storm at ${STORM_FIXED_QPS} q/s, no rate limit`, storm: true, stormQps: STORM_FIXED_QPS, rateLimit: undefined },
    { variant: 'storm, no rate limit', storm: true, stormQps: undefined, rateLimit: undefined },
    { variant: 'storm, rate limit (100 q/s, burst 200, drop)', storm: true, stormQps: undefined, rateLimit: { ratePerSecond: 100, burst: 200, overLimit: 'drop' as const } },
  ];
  interface Sample { p50: number; p99: number; vsAlone: number; lost: number; stormQps: number; log: { lines: number; windows: number; queries: number; answered: number } | undefined }
  const samples = new Map<string, Sample[]>(variants.map((variant) => [variant.variant, []]));
  // The storming client repeats one sinkholed name, as a blocked camera retrying does.
  const stormName = dataset.names[0]!;
  const stormQueries = path.join(context.workDir, 'storm-queries.txt');
  await writeFile(stormQueries, `${stormName} A\n`);
  const logFile = path.join(context.outDir, 'camshim-storm.log');
  // Rounds of every variant in turn (alone first), so each storm p99 has an alone p99 from the
  // same minute of this shared machine to be divided by; medians over rounds are kept.
  const rounds = Math.max(1, Math.min(3, context.rounds));
  for (let round = 0; round < rounds; round++) {
    let aloneP99 = Number.NaN;
    for (const variant of variants) {
      const server = await startServer({
        kind: 'camshim', label: 'camshim', port: port(), cpus: context.placement.serverCpus, listFile: dataset.listFile, names: [],
        workDir: context.workDir, ...(variant.rateLimit === undefined ? {} : { rateLimit: variant.rateLimit }),
        stormWindowSeconds: STORM_WINDOW_SECONDS,
      }, logFile);
      // Long enough for a few hundred well-behaved queries: a p99 of 200 samples is the 2nd worst.
      const seconds = context.latencySeconds + 3;
      const stormSeconds = seconds + 1;
      let sample: Sample;
      let stormAnswered = 0;
      try {
        const storm = variant.storm
          // Niced: it shares the client core with the measuring client, which must get the CPU when a reply arrives.
          ? runDnsperf({ port: server.port, queryFile: stormQueries, seconds: stormSeconds, cpus: context.placement.clientCpus, source: '127.0.0.2', outstanding: 500, nice: 19, ...(variant.stormQps === undefined ? {} : { maxQps: variant.stormQps }) })
          : Promise.resolve(undefined);
        await sleep(300);
        const good = await runDnsperf({ port: server.port, queryFile: dataset.queryFile, seconds, cpus: context.placement.clientCpus, source: '127.0.0.3', maxQps: 80, perQuery: true, outstanding: 20 });
        const stormResult = await storm;
        const latency = latencyOf(good);
        stormAnswered = stormResult?.completed ?? 0;
        if (!variant.storm) aloneP99 = latency.p99;
        sample = { p50: latency.p50, p99: latency.p99, vsAlone: latency.p99 / aloneP99, lost: latency.lost, stormQps: stormResult?.qps ?? 0, log: undefined };
        context.log(`  round ${round + 1} ${variant.variant}: well-behaved p50 ${latency.p50.toFixed(3)} ms, p99 ${latency.p99.toFixed(3)} ms (${sample.vsAlone.toFixed(2)}x alone), lost ${latency.lost}; storm answered ${Math.round(sample.stormQps)} q/s`);
      } finally {
        // Stopped first: the open storm window is written at SIGTERM.
        await server.stop();
      }
      if (variant.storm) {
        const counted = await stormLogLines(logFile, '127.0.0.2', stormName);
        const windows = Math.ceil(stormSeconds / STORM_WINDOW_SECONDS);
        sample.log = { lines: counted.lines, windows, queries: counted.queries, answered: stormAnswered };
        context.log(`  round ${round + 1} ${variant.variant}: ${counted.lines} log lines for ${stormName} from the storming client over ${windows} window(s) of ${STORM_WINDOW_SECONDS} s`
          + ` (target: at most ${windows + 1}, one a window and the first query's: ${counted.lines <= windows + 1 ? 'met' : 'NOT met'}); they account for ${counted.queries} queries, ${stormAnswered} answered`);
      }
      samples.get(variant.variant)!.push(sample);
    }
  }
  return variants.map(({ variant }): StormResult => {
    const all = samples.get(variant)!;
    // The log figures of the round that wrote the most lines: the target is a bound.
    const worst = all.map((sample) => sample.log).reduce<Sample['log']>((most, log) => (log !== undefined && (most === undefined || log.lines > most.lines) ? log : most), undefined);
    return {
      variant,
      goodP50: median(all.map((sample) => sample.p50)),
      goodP99: median(all.map((sample) => sample.p99)),
      p99VsAlone: Math.round(median(all.map((sample) => sample.vsAlone)) * 100) / 100,
      goodLost: all.reduce((sum, sample) => sum + sample.lost, 0),
      stormAnsweredQps: Math.round(median(all.map((sample) => sample.stormQps))),
      stormLogLines: worst?.lines, stormWindows: worst?.windows, stormLogged: worst?.queries, stormAnswered: worst?.answered,
    };
  });
}

export interface WorkersResult {
  readonly workers: number;
  readonly qps: number[];
  readonly medianQps: number;
  /** Server CPU (all its processes) and dnsperf's CPU per answered query, medians over rounds. */
  readonly serverCpuUs: number;
  readonly clientCpuUs: number;
  /**
   * The most q/s this machine could carry for this server with the client on the same cores:
   * every core busy with server or client work (cores x 1e6 / (server + client us per query)),
   * and no more than the server's own processes can use (workers cores at most).
   */
  readonly ceilingQps: number;
}

/** q/s for 1, 2 and 4 workers, interleaved; server and dnsperf share every core here. */
export async function workersPhase(context: BenchContext, dataset: Dataset, counts: readonly number[]): Promise<WorkersResult[]> {
  const servers: { workers: number; server: RunningServer }[] = [];
  try {
    for (const workers of counts) {
      const server = await startServer({
        kind: 'camshim', label: `camshim --workers ${workers}`, port: port(), cpus: context.placement.allCpus, listFile: dataset.listFile,
        names: [], workDir: context.workDir, workers, cacheDir: context.cacheDir,
      }, path.join(context.outDir, `camshim-workers-${workers}.log`));
      servers.push({ workers, server });
      await sleep(workers * 300);
    }
    const qps = new Map<number, number[]>(counts.map((c) => [c, []]));
    const serverCpu = new Map<number, number[]>(counts.map((c) => [c, []]));
    const clientCpu = new Map<number, number[]>(counts.map((c) => [c, []]));
    for (const { server } of servers) await runDnsperf({ port: server.port, queryFile: dataset.queryFile, seconds: 1, cpus: context.placement.allCpus, clients: 8 });
    for (let round = 0; round < Math.max(1, Math.min(3, context.rounds)); round++) {
      for (const { workers, server } of servers) {
        const before = cpuSeconds(server.pid);
        const result = await runDnsperf({ port: server.port, queryFile: dataset.queryFile, seconds: context.seconds, cpus: context.placement.allCpus, clients: 8, outstanding: 400 });
        const serverUs = ((cpuSeconds(server.pid) - before) * 1e6) / result.completed;
        const clientUs = (result.clientCpuSeconds * 1e6) / result.completed;
        qps.get(workers)!.push(result.qps);
        serverCpu.get(workers)!.push(serverUs);
        clientCpu.get(workers)!.push(clientUs);
        context.log(`  round ${round + 1} --workers ${workers}: ${Math.round(result.qps)} q/s, server ${serverUs.toFixed(1)} us/query, dnsperf ${clientUs.toFixed(1)} us/query`);
      }
    }
    const cores = os.cpus().length;
    return counts.map((workers) => {
      const serverCpuUs = median(serverCpu.get(workers)!);
      const clientCpuUs = median(clientCpu.get(workers)!);
      const ceilingQps = Math.min((cores * 1e6) / (serverCpuUs + clientCpuUs), (Math.min(workers, cores) * 1e6) / serverCpuUs);
      return { workers, qps: qps.get(workers)!, medianQps: median(qps.get(workers)!), serverCpuUs, clientCpuUs, ceilingQps };
    });
  } finally {
    for (const { server } of servers) await server.stop();
  }
}

export function machineDescription(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGb: Math.round(os.totalmem() / 1e9),
    kernel: os.release(),
    node: process.version,
    loadAverageAtStart: os.loadavg().map((v) => Math.round(v * 100) / 100),
  };
}
