import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runPinned, TICKS_PER_SECOND } from './proc.js';
import { percentile } from './stats.js';

export interface DnsperfResult {
  readonly sent: number;
  readonly completed: number;
  readonly lost: number;
  readonly qps: number;
  readonly avgLatencyMs: number;
  /** Per-query latencies (ms), sorted; only with `perQuery`. */
  readonly latenciesMs?: Float64Array;
  readonly rcodes: string;
  /** dnsperf's own CPU time (user + system), exact: its parent shell's reaped-children times. */
  readonly clientCpuSeconds: number;
}

export interface DnsperfRun {
  readonly port: number;
  readonly queryFile: string;
  readonly seconds: number;
  /** CPUs dnsperf may use (taskset list). */
  readonly cpus: string;
  /** Rate cap (-Q); none: as fast as the server answers. */
  readonly maxQps?: number;
  readonly outstanding?: number;
  readonly clients?: number;
  /** Local source address (-a): loopback only. */
  readonly source?: string;
  /** Record each query's latency (-v). */
  readonly perQuery?: boolean;
  /** Scheduling niceness: a load generator sharing a core with a measuring client must not starve it. */
  readonly nice?: number;
}

function number(text: string, pattern: RegExp): number {
  const match = pattern.exec(text);
  return match ? Number(match[1]) : Number.NaN;
}

/**
 * Runs dnsperf under a shell that, once dnsperf has exited and been reaped, prints its CPU time
 * from its own /proc stat (cutime and cstime: the times of waited-for children, in the same
 * clock ticks cpuSeconds reads). The load generator's cost is what decides how far a server can scale on cores it
 * shares with it. dnsperf's output goes to a file (the shell's first argument) and is read after
 * it exits: with -v it is a line per query, and a bench process (not pinned) reading that pipe
 * during the run would take turns on the measured server's core.
 */
const MEASURED_DNSPERF = `out=$1; shift; "$@" > "$out"; rc=$?; echo "dnsperf-cpu-ticks $(cut -d' ' -f16,17 /proc/$$/stat)" >&2; exit $rc`;

function clientCpuSeconds(stderr: string): number {
  const match = /dnsperf-cpu-ticks (\d+) (\d+)/.exec(stderr);
  return match ? (Number(match[1]) + Number(match[2])) / TICKS_PER_SECOND : Number.NaN;
}

/** Runs dnsperf against 127.0.0.1:`port` for a bounded time and parses its summary. */
export async function runDnsperf(run: DnsperfRun): Promise<DnsperfResult> {
  const args = [
    '-s', '127.0.0.1', '-p', String(run.port), '-d', run.queryFile, '-l', String(run.seconds),
    '-t', '2', '-q', String(run.outstanding ?? 200), '-c', String(run.clients ?? 1),
    ...(run.maxQps === undefined ? [] : ['-Q', String(run.maxQps)]),
    ...(run.source === undefined ? [] : ['-a', run.source]),
    ...(run.perQuery === true ? ['-v'] : []),
  ];
  const outDir = await mkdtemp(path.join(os.tmpdir(), 'camshim-dnsperf-'));
  let stdout: string;
  let stderr: string;
  let code: number | null;
  try {
    const outFile = path.join(outDir, 'out.txt');
    ({ stderr, code } = await runPinned(run.cpus, 'sh', ['-c', MEASURED_DNSPERF, 'sh', outFile, 'dnsperf', ...args], (run.seconds + 15) * 1000, run.nice ?? 0));
    stdout = await readFile(outFile, 'utf8').catch(() => '');
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
  if (code !== 0) throw new Error(`dnsperf exited ${code}: ${stderr.slice(0, 500)}`);
  let latenciesMs: Float64Array | undefined;
  if (run.perQuery === true) {
    const values: number[] = [];
    for (const line of stdout.split('\n')) {
      if (!line.startsWith('> ')) continue;
      const seconds = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (Number.isFinite(seconds)) values.push(seconds * 1000);
    }
    latenciesMs = Float64Array.from(values).sort();
  }
  return {
    sent: number(stdout, /Queries sent:\s+(\d+)/),
    completed: number(stdout, /Queries completed:\s+(\d+)/),
    lost: number(stdout, /Queries lost:\s+(\d+)/),
    qps: number(stdout, /Queries per second:\s+([\d.]+)/),
    avgLatencyMs: number(stdout, /Average Latency \(s\):\s+([\d.]+)/) * 1000,
    rcodes: /Response codes:\s+(.*)/.exec(stdout)?.[1] ?? '',
    clientCpuSeconds: clientCpuSeconds(stderr),
    ...(latenciesMs === undefined ? {} : { latenciesMs }),
  };
}

export function latencySummary(sorted: Float64Array): { p50: number; p99: number; p999: number; max: number } {
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), p999: percentile(sorted, 99.9), max: sorted[sorted.length - 1] ?? Number.NaN };
}
