import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, open, rename } from 'node:fs/promises';
import path from 'node:path';
import { ntpClientLine, queryLine, stormLine } from '../../helpers/log-lines.js';
import type { BenchContext } from './phases.js';
import { processTree } from './proc.js';
import { median } from './stats.js';
import { seededRandom } from '../../helpers/prng.js';

const ROOT = path.resolve(import.meta.dirname, '../../../..');
const MAIN = path.join(ROOT, 'dist/src/main.js');

export interface ReportBenchResult {
  readonly sizes: { readonly label: string; readonly bytes: number; readonly lines: number }[];
  /** Medians of the rounds. */
  readonly report: { readonly label: string; readonly seconds: number; readonly mbPerSecond: number; readonly peakRssMb: number }[];
  readonly jqSeconds: number | undefined;
  /** The pipeline's processes at their peaks, added up. */
  readonly jqPeakRssMb: number | undefined;
  /** jq pipeline time divided by camshim report's on the big log, within a round; the median (target: at least 2). */
  readonly speedup: number | undefined;
  /** Peak RSS on the big log minus peak RSS on the small one (target: within 50 MB). */
  readonly rssGrowthMb: number;
}

/**
 * A realistic camshim log: 50 cameras calling 2,000 vendor names on cadences of their own, storm
 * lines for retry bursts, unlisted names of a deny-by-default VLAN, NTP redirects and clients,
 * and the daemon's other lines (start, reload, upstream warnings), in time order.
 */
export async function generateLog(file: string, targetBytes: number): Promise<{ bytes: number; lines: number }> {
  if (existsSync(file)) {
    const bytes = statSync(file).size;
    return { bytes, lines: Number(readFileSync(`${file}.lines`, 'utf8')) };
  }
  await mkdir(path.dirname(file), { recursive: true });
  const random = seededRandom(20_261_204);
  const names = Array.from({ length: 2000 }, (_, i) => `${['p2p', 'api', 'log', 'ota', 'mqtt', 'relay'][i % 6]}${i}.${['tplinkcloud.com', 'easy4ipcloud.com', 'ys7.com', 'xmeye.net', 'iotcplatform.com', 'wyzecam.com', 'meari.com.cn'][i % 7]}`);
  const clients = Array.from({ length: 50 }, (_, i) => `192.168.20.${10 + i}`);
  // Each client calls a few dozen names.
  const calls = clients.flatMap((client, c) => Array.from({ length: 40 }, (_, k) => ({ client, name: names[(c * 37 + k * 53) % names.length]!, everyMs: 60_000 * (1 + ((c + k) % 10)), nextMs: 0 })));
  const out = createWriteStream(`${file}.tmp`, { highWaterMark: 1 << 20 });
  let bytes = 0;
  let lines = 0;
  let chunk: string[] = [];
  const push = async (line: string): Promise<void> => {
    chunk.push(line);
    bytes += Buffer.byteLength(line) + 1;
    lines++;
    if (chunk.length >= 4096) {
      if (!out.write(`${chunk.join('\n')}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      chunk = [];
    }
  };
  let timeMs = Date.UTC(2026, 10, 1);
  await push(`{"level":30,"time":"${new Date(timeMs).toISOString()}","service":"camshim","v":1,"event":"start","msg":"camshim started"}`);
  while (bytes < targetBytes) {
    timeMs += 1000;
    for (const call of calls) {
      if (call.nextMs > timeMs) continue;
      call.nextMs = timeMs + call.everyMs;
      const roll = random();
      if (roll < 0.05) await push(stormLine({ timeMs, client: call.client, name: call.name, count: 1 + Math.floor(random() * 60), firstMs: timeMs - 59_000, lastMs: timeMs - 1000, list: 'vendor' }));
      else if (roll < 0.1) await push(queryLine({ timeMs, event: 'unlisted', client: call.client, name: `unknown${Math.floor(random() * 300)}.example.net`, group: 'locked' }));
      else if (roll < 0.13) await push(queryLine({ timeMs, event: 'redirect', client: call.client, name: 'pool.ntp.org' }));
      else await push(queryLine({ timeMs, client: call.client, name: call.name, list: 'vendor' }));
    }
    if (timeMs % 3_600_000 === 0) {
      await push(`{"level":40,"time":"${new Date(timeMs).toISOString()}","service":"camshim","v":1,"event":"upstream-down","upstream":"192.0.2.53:53","msg":"upstream unreachable"}`);
      await push(ntpClientLine(timeMs, clients[Math.floor(random() * clients.length)]!));
      await push(`{"level":30,"time":"${new Date(timeMs).toISOString()}","service":"camshim","v":1,"event":"reload","applied":true,"msg":"reloaded config and lists"}`);
    }
  }
  out.end(`${chunk.join('\n')}\n`);
  await new Promise<void>((resolve) => out.once('finish', () => resolve()));
  // On disk before it is timed: the writeback of a freshly written 1 GB would slow the reads measured next.
  const handle = await open(`${file}.tmp`, 'r');
  await handle.sync();
  await handle.close();
  await rename(`${file}.tmp`, file);
  await import('node:fs/promises').then((fs) => fs.writeFile(`${file}.lines`, String(lines)));
  return { bytes, lines };
}

/**
 * Runs a command to its end; resolves with its wall time and its peak RSS: each process of its
 * tree (a pipeline's jq, sort and uniq) at its own peak (VmHWM, polled), added up.
 */
function timed(command: string, args: readonly string[]): Promise<{ seconds: number; peakRssMb: number; code: number | null }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    const peakKb = new Map<number, number>();
    const poll = setInterval(() => {
      for (const pid of processTree(child.pid!)) {
        try {
          const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
          if (match !== null) peakKb.set(pid, Math.max(peakKb.get(pid) ?? 0, Number(match[1])));
        } catch { /* exited */ }
      }
    }, 20);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30 * 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      clearTimeout(timer);
      const totalKb = [...peakKb.values()].reduce((sum, kb) => sum + kb, 0);
      resolve({ seconds: Number(process.hrtime.bigint() - started) / 1e9, peakRssMb: Math.round(totalKb / 102.4) / 10, code });
    });
  });
}

/**
 * Reads a file through, untimed: every timed command then starts with its input in the page
 * cache. Without it the command after the jq pipeline (whose sort spills to temporary files)
 * reads part of its log back from disk, and which one that is depends on the order of a round.
 */
async function warm(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    while ((await handle.read(buffer, 0, buffer.length, null)).bytesRead > 0) { /* reading is the point */ }
  } finally {
    await handle.close();
  }
}

const installed = (command: string): boolean => ['/usr/bin', '/usr/local/bin', '/bin'].some((dir) => existsSync(path.join(dir, command)));

/**
 * `camshim report` on a 10 MB and a big log, beside the jq pipeline a user would write for the
 * per-name counts alone. Rounds of the three in turn: on a shared machine the pipeline's time
 * and camshim's are compared within a round, and the median of those ratios is kept (times and
 * RSS are medians too).
 */
export async function reportPhase(context: BenchContext, bigBytes: number): Promise<ReportBenchResult> {
  const dir = path.join(context.outDir, 'data');
  const small = path.join(dir, 'report-10mb.log');
  const big = path.join(dir, `report-${Math.round(bigBytes / 1e6)}mb.log`);
  context.log('  generating logs (cached)');
  const sizes = [{ label: '10 MB', ...(await generateLog(small, 10e6)) }, { label: `${Math.round(bigBytes / 1e6)} MB`, ...(await generateLog(big, bigBytes)) }];
  const withJq = installed('jq');
  if (!withJq) context.log('  jq is not installed: no pipeline to compare with (apt-get install jq)');
  const runs: { seconds: number; peakRssMb: number }[][] = [[], []];
  const jqRuns: { seconds: number; peakRssMb: number }[] = [];
  const speedups: number[] = [];
  const rounds = Math.max(1, Math.min(3, context.rounds));
  for (let round = 0; round < rounds; round++) {
    for (const [index, file] of [small, big].entries()) {
      await warm(file);
      const run = await timed('taskset', ['-c', context.placement.serverCpus, process.execPath, MAIN, 'report', '--format', 'json', file]);
      if (run.code !== 0) throw new Error(`camshim report exited ${run.code} on ${file}`);
      runs[index]!.push(run);
      context.log(`  round ${round + 1} camshim report, ${sizes[index]!.label}: ${run.seconds.toFixed(2)} s, ${Math.round(sizes[index]!.bytes / 1e6 / run.seconds)} MB/s, peak RSS ${run.peakRssMb} MB`);
    }
    if (!withJq) continue;
    const pipeline = `jq -r 'select(.event=="sinkhole") | .name' ${JSON.stringify(big)} | sort | uniq -c > /dev/null`;
    await warm(big);
    const run = await timed('taskset', ['-c', context.placement.allCpus, 'sh', '-c', pipeline]);
    if (run.code !== 0) throw new Error(`the jq pipeline exited ${run.code} on ${big}`);
    jqRuns.push(run);
    speedups.push(run.seconds / runs[1]!.at(-1)!.seconds);
    context.log(`  round ${round + 1} jq | sort | uniq -c, ${sizes[1]!.label}: ${run.seconds.toFixed(2)} s, peak RSS ${run.peakRssMb} MB (its processes added up); camshim report ${speedups.at(-1)!.toFixed(2)}x faster`);
  }
  const report = runs.map((all, index) => {
    const seconds = median(all.map((run) => run.seconds));
    return { label: sizes[index]!.label, seconds: Math.round(seconds * 100) / 100, mbPerSecond: Math.round(sizes[index]!.bytes / 1e6 / seconds), peakRssMb: Math.round(median(all.map((run) => run.peakRssMb)) * 10) / 10 };
  });
  return {
    sizes, report,
    jqSeconds: withJq ? Math.round(median(jqRuns.map((run) => run.seconds)) * 100) / 100 : undefined,
    jqPeakRssMb: withJq ? Math.round(median(jqRuns.map((run) => run.peakRssMb)) * 10) / 10 : undefined,
    speedup: withJq ? Math.round(median(speedups) * 100) / 100 : undefined,
    rssGrowthMb: Math.round((report[1]!.peakRssMb - report[0]!.peakRssMb) * 10) / 10,
  };
}
