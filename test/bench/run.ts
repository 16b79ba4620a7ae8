/**
 * `npm run bench`: camshim against dnsmasq and unbound (when installed), same lists, same
 * machine, same run. Loopback only; every load is bounded in time. Prints a table and writes
 * .cache/bench/results-<time>.json (and latest.json). Options:
 *   --rounds N (5)  --seconds S (3)  --quick (2 rounds of 2 s)  --phases a,b (small,big,memory,matcher,ntp,storm,workers,report,startup)
 *   --big N (1000000 names)  --report-mb N (1000: the big log `camshim report` reads)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { prepareData } from './lib/data.js';
import {
  machineDescription, matcherPhase, memoryPhase, ntpPhase, stormPhase, throughputPhase, workersPhase, type BenchContext,
} from './lib/phases.js';
import { reportPhase } from './lib/report-phase.js';
import { formatReport } from './lib/report.js';
import { installed, versionOf, type ServerKind } from './lib/servers.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const ALL_PHASES = ['small', 'big', 'memory', 'matcher', 'ntp', 'storm', 'workers', 'report', 'startup'];

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? undefined : process.argv[index + 1];
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const rounds = Math.min(20, Math.max(1, Number(option('rounds') ?? (quick ? 2 : 5))));
  const seconds = Math.min(30, Math.max(1, Number(option('seconds') ?? (quick ? 2 : 3))));
  const bigCount = Math.min(5_000_000, Math.max(1000, Number(option('big') ?? 1_000_000)));
  const phases = new Set((option('phases') ?? ALL_PHASES.join(',')).split(','));
  const outDir = path.join(ROOT, '.cache/bench');
  const workDir = path.join(outDir, 'work');
  await mkdir(workDir, { recursive: true });
  const cores = os.cpus().length;
  const placement = cores >= 2
    ? { serverCpus: '0', clientCpus: '1', allCpus: `0-${cores - 1}` }
    : { serverCpus: '0', clientCpus: '0', allCpus: '0' };
  // node-floor always runs: what Node alone costs per datagram, in the same rounds.
  const peers: ServerKind[] = [...(['dnsmasq', 'unbound'] as ServerKind[]).filter((kind) => installed(kind)), 'node-floor'];
  const started = Date.now();
  const log = (text: string): void => { process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${text}\n`); };
  const context: BenchContext = {
    placement, outDir, workDir, cacheDir: path.join(outDir, 'cache'), rounds, seconds,
    latencySeconds: seconds + 1, latencyRate: 5000, peers, log,
  };
  log(`camshim bench: ${rounds} rounds of ${seconds} s; peers: ${peers.join(', ') || 'none installed'}; server on CPU ${placement.serverCpus}, dnsperf on CPU ${placement.clientCpus}`);
  log('preparing data (cached in .cache/bench/data)');
  const data = await prepareData(path.join(outDir, 'data'), path.join(ROOT, 'lists'), bigCount);

  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    machine: machineDescription(),
    versions: Object.fromEntries((['camshim', ...peers] as ServerKind[]).map((kind) => [kind, versionOf(kind)])),
    options: { rounds, seconds, bigCount, placement, latencyRate: context.latencyRate, phases: [...phases] },
  };
  if (phases.has('small')) { log(`throughput, camera list (${data.camera.names.length} names)`); results.small = await throughputPhase(context, data.camera); }
  if (phases.has('big')) { log(`throughput, ${data.big.names.length}-name list`); results.big = await throughputPhase(context, data.big); }
  if (phases.has('memory')) { log('load time and memory, 1M list'); results.memory = await memoryPhase(context, data.big, Math.min(3, rounds)); }
  if (phases.has('matcher')) { log('matcher lookups'); results.matcher = await matcherPhase(context, data.big); }
  if (phases.has('ntp')) { log('NTP requests'); results.ntp = await ntpPhase(context); }
  if (phases.has('storm')) { log('storm: one client flooding, one well-behaved'); results.storm = await stormPhase(context, data.camera); }
  if (phases.has('workers')) { log('workers: 1, 2, 4 (server and dnsperf share all cores)'); results.workers = await workersPhase(context, data.camera, [1, 2, 4]); }
  if (phases.has('report')) { log('camshim report on a generated log, beside jq | sort | uniq -c'); results.report = await reportPhase(context, Math.min(10_000, Math.max(20, Number(option('report-mb') ?? 1000))) * 1e6); }
  if (phases.has('startup')) { log('start-up: spawn to first answer and idle RSS, beside bare node'); results.startup = await (await import('./lib/startup-phase.js')).startupPhase(context); }
  results.elapsedSeconds = Math.round((Date.now() - started) / 1000);

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const json = `${JSON.stringify(results, null, 2)}\n`;
  await writeFile(path.join(outDir, `results-${stamp}.json`), json);
  await writeFile(path.join(outDir, 'latest.json'), json);
  process.stdout.write(formatReport(results));
  log(`done in ${results.elapsedSeconds} s; JSON in .cache/bench/results-${stamp}.json`);
}

await main();
