/**
 * The start-up phase: how long a router's cameras wait for DNS after camshim is (re)started,
 * and what camshim holds in memory once idle, each against bare Node in the same rounds.
 *
 * Per round, in turn:
 * - camshim `serve` with the bundled lists (embedded defaults, NTP on): spawn to first DNS answer;
 * - a minimal Node UDP echo server (the fair peer: Node's own start, one socket, no work):
 *   spawn to first answer;
 * - bare `node -e 0`: spawn to exit (what starting Node costs at all);
 * then both servers' resident set size (VmRSS) twice: a few seconds after the answer, and once
 * they have sat idle long enough for V8 to give back what the start used (its memory reducer
 * runs some 8 to 10 s after a process goes quiet: the young generation the start grew, bytecode
 * of code that ran only at start). The second is the idle figure the target is about; the first
 * shows the start's aftermath.
 * Beside each wall time, the CPU time the server had used when it answered (user + system, all
 * threads): on a machine shared with other work it is the steadier of the two.
 * The bench process sends its query every few milliseconds from the moment of spawn, so the
 * first answer is seen within one interval of the server being able to give it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { encodeQuery } from '../../../src/wire/encode-query.js';
import type { BenchContext } from './phases.js';
import { cpuSeconds, rssBytes, sleep, stopProcess } from './proc.js';
import { median } from './stats.js';
import { freePort } from '../../upstream/helpers.js';

const ROOT = path.resolve(import.meta.dirname, '../../../..');
const MAIN = path.join(ROOT, 'dist/src/main.js');
/** How often the query is re-sent while waiting: the resolution of every spawn-to-answer figure. */
const PROBE_INTERVAL_MS = 5;
const ANSWER_TIMEOUT_MS = 15_000;
/** Time after the answer when RSS is first read: the start is over, its garbage still held. */
const IDLE_MS = 3000;
/** Time after the answer when RSS is read again, idle: V8's memory reducer has run. */
const SETTLED_MS = 15_000;
/**
 * The start-up target: the first answer within 250 ms of spawn, set where bare `node -e 0` took
 * 75 ms. Absolute times on these shared machines move with the machine (`node -e 0` alone moves
 * by 15 to 30% from one minute to the next), so the target is judged as what it is relative to
 * bare Node: the first answer within 250 / 75 of `node -e 0` measured in the same round. The
 * absolute figure is printed against 250 ms beside it.
 */
const FIRST_ANSWER_TARGET_MS = 250;
const TARGET_NODE_EXIT_MS = 75;
const FIRST_ANSWER_TARGET_RATIO = FIRST_ANSWER_TARGET_MS / TARGET_NODE_EXIT_MS;
/** Idle RSS above the Node echo server, MB. */
const IDLE_RSS_TARGET_MB = 15;
/** A name on the bundled tplink list: camshim answers it from its lists, with no upstream. */
const QUERY_NAME = 'n-devs.tplinkcloud.com';

/**
 * The fair peer: Node's start plus one UDP socket that answers each query with the query itself
 * turned into a response. Inline, so it loads no module from disk.
 */
const ECHO_SERVER = [
  "const s = require('node:dgram').createSocket('udp4');",
  "s.on('message', (m, r) => { if (m.length >= 12) { m[2] |= 0x80; s.send(m, r.port, r.address); } });",
  "s.bind(Number(process.argv[1]), '127.0.0.1');",
  "process.on('SIGTERM', () => process.exit(0));",
].join('\n');

export interface StartupRound {
  /** Spawn to first DNS answer, ms. */
  readonly camshimMs: number;
  readonly nodeServerMs: number;
  /** CPU time used up to the first answer, ms (10 ms resolution). */
  readonly camshimCpuMs: number;
  readonly nodeServerCpuMs: number;
  /** `node -e 0`, spawn to exit, ms. */
  readonly nodeExitMs: number;
  /** VmRSS IDLE_MS after the answers, MB. */
  readonly camshimRssMb: number;
  readonly nodeServerRssMb: number;
  /** VmRSS SETTLED_MS after the answers, MB. */
  readonly camshimSettledRssMb: number;
  readonly nodeServerSettledRssMb: number;
}

export interface StartupResult {
  readonly rounds: StartupRound[];
  readonly idleSeconds: number;
  readonly settledSeconds: number;
  readonly probeIntervalMs: number;
  readonly median: StartupRound & {
    /** camshim ÷ peer, per round, then the median. */
    readonly ratioToNodeServer: number;
    readonly ratioToNodeExit: number;
    readonly cpuRatioToNodeServer: number;
    /** camshim − peer, per round, then the median. */
    readonly deltaToNodeServerMs: number;
    readonly rssDeltaMb: number;
    readonly settledRssDeltaMb: number;
  };
}

const mb = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10;
const round1 = (value: number): number => Math.round(value * 10) / 10;

/**
 * Spawns `start()` and re-sends a query to 127.0.0.1:`port` every PROBE_INTERVAL_MS until an
 * answer comes; resolves with the child and the spawn-to-answer time.
 */
async function spawnToAnswer(port: number, start: () => ChildProcess): Promise<{ child: ChildProcess; ms: number; cpuMs: number }> {
  const socket = dgram.createSocket('udp4');
  // Nothing listens yet: the kernel's port-unreachable errors are expected and ignored.
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const query = encodeQuery(QUERY_NAME, 1, { id: 0x5354 });
  let stderr = '';
  const began = performance.now();
  const child = start();
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  try {
    const ms = await new Promise<number>((resolve, reject) => {
      const send = (): void => { socket.send(query, port, '127.0.0.1'); };
      const timer = setInterval(send, PROBE_INTERVAL_MS);
      const deadline = setTimeout(() => finish(new Error(`no DNS answer on 127.0.0.1:${port} within ${ANSWER_TIMEOUT_MS} ms; stderr: ${stderr}`)), ANSWER_TIMEOUT_MS);
      const onExit = (code: number | null): void => finish(new Error(`exited (${code}) before answering; stderr: ${stderr}`));
      const finish = (error: Error | undefined, value = 0): void => {
        clearInterval(timer);
        clearTimeout(deadline);
        child.off('exit', onExit);
        if (error === undefined) resolve(value); else reject(error);
      };
      socket.on('message', (message) => {
        if (message.length >= 12 && message.readUInt16BE(0) === 0x5354 && (message[2]! & 0x80) !== 0) finish(undefined, performance.now() - began);
      });
      child.once('exit', onExit);
      send();
    });
    return { child, ms, cpuMs: Math.round(cpuSeconds(child.pid!) * 1000) };
  } catch (error) {
    await stopProcess(child);
    throw error;
  } finally {
    socket.close();
  }
}

function spawnToExit(args: readonly string[]): Promise<number> {
  const began = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', () => resolve(performance.now() - began));
  });
}

async function oneRound(stateDir: string): Promise<StartupRound> {
  const nodeExitMs = await spawnToExit(['-e', '0']);

  const dnsPort = await freePort();
  const ntpPort = await freePort();
  // The embedded defaults (bundled lists, NTP on): what `camshim serve` starts with on a router.
  // No upstream (no resolver list is read): the query is answered from the lists.
  const camshim = await spawnToAnswer(dnsPort, () => spawn(process.execPath, [
    MAIN, 'serve', '--listen', '127.0.0.1', '--dns-port', String(dnsPort), '--ntp-port', String(ntpPort),
    '--resolv-conf', '/dev/null', '--state-dir', stateDir,
  ], { stdio: ['ignore', 'ignore', 'pipe'] }));
  const serverPort = await freePort();
  const nodeServer = await spawnToAnswer(serverPort, () => spawn(process.execPath, ['-e', ECHO_SERVER, String(serverPort)], { stdio: ['ignore', 'ignore', 'pipe'] }));
  try {
    await sleep(IDLE_MS);
    const camshimRssMb = mb(rssBytes(camshim.child.pid!));
    const nodeServerRssMb = mb(rssBytes(nodeServer.child.pid!));
    await sleep(SETTLED_MS - IDLE_MS);
    return {
      camshimMs: round1(camshim.ms), nodeServerMs: round1(nodeServer.ms), nodeExitMs: round1(nodeExitMs),
      camshimCpuMs: camshim.cpuMs, nodeServerCpuMs: nodeServer.cpuMs, camshimRssMb, nodeServerRssMb,
      camshimSettledRssMb: mb(rssBytes(camshim.child.pid!)), nodeServerSettledRssMb: mb(rssBytes(nodeServer.child.pid!)),
    };
  } finally {
    await Promise.all([stopProcess(camshim.child), stopProcess(nodeServer.child)]);
  }
}

export async function startupPhase(context: BenchContext): Promise<StartupResult> {
  const stateDir = path.join(context.workDir, 'startup-state');
  await mkdir(stateDir, { recursive: true });
  // One round unmeasured: the first spawn of a run pays for cold file caches.
  await oneRound(stateDir);
  const rounds: StartupRound[] = [];
  for (let i = 0; i < context.rounds; i++) {
    const result = await oneRound(stateDir);
    context.log(`start-up round ${i + 1}: camshim ${result.camshimMs} ms (CPU ${result.camshimCpuMs} ms), node server ${result.nodeServerMs} ms (CPU ${result.nodeServerCpuMs} ms), node -e ${result.nodeExitMs} ms; RSS ${result.camshimRssMb} vs ${result.nodeServerRssMb} MB, idle ${result.camshimSettledRssMb} vs ${result.nodeServerSettledRssMb} MB`);
    rounds.push(result);
  }
  const pick = (key: keyof StartupRound): number => round1(median(rounds.map((r) => r[key])));
  const result: StartupResult = {
    rounds, idleSeconds: IDLE_MS / 1000, settledSeconds: SETTLED_MS / 1000, probeIntervalMs: PROBE_INTERVAL_MS,
    median: {
      camshimMs: pick('camshimMs'), nodeServerMs: pick('nodeServerMs'), nodeExitMs: pick('nodeExitMs'),
      camshimCpuMs: pick('camshimCpuMs'), nodeServerCpuMs: pick('nodeServerCpuMs'),
      camshimRssMb: pick('camshimRssMb'), nodeServerRssMb: pick('nodeServerRssMb'),
      camshimSettledRssMb: pick('camshimSettledRssMb'), nodeServerSettledRssMb: pick('nodeServerSettledRssMb'),
      ratioToNodeServer: Math.round(median(rounds.map((r) => r.camshimMs / r.nodeServerMs)) * 100) / 100,
      ratioToNodeExit: Math.round(median(rounds.map((r) => r.camshimMs / r.nodeExitMs)) * 100) / 100,
      cpuRatioToNodeServer: Math.round(median(rounds.map((r) => r.camshimCpuMs / Math.max(10, r.nodeServerCpuMs))) * 100) / 100,
      deltaToNodeServerMs: round1(median(rounds.map((r) => r.camshimMs - r.nodeServerMs))),
      rssDeltaMb: round1(median(rounds.map((r) => r.camshimRssMb - r.nodeServerRssMb))),
      settledRssDeltaMb: round1(median(rounds.map((r) => r.camshimSettledRssMb - r.nodeServerSettledRssMb))),
    },
  };
  process.stdout.write(formatStartup(result));
  return result;
}

/** The phase's own table: medians of same-round figures, and the targets. */
export function formatStartup(result: StartupResult): string {
  const m = result.median;
  return [
    `\n### start-up (${result.rounds.length} rounds, median; query every ${result.probeIntervalMs} ms from spawn; RSS ${result.idleSeconds} s and ${result.settledSeconds} s after the answer)`,
    `| | spawn to first DNS answer | CPU used by then | RSS at ${result.idleSeconds} s | idle RSS (${result.settledSeconds} s) |`,
    '|---|---|---|---|---|',
    `| camshim serve (bundled lists) | ${m.camshimMs} ms | ${m.camshimCpuMs} ms | ${m.camshimRssMb} MB | ${m.camshimSettledRssMb} MB |`,
    `| node UDP echo server | ${m.nodeServerMs} ms | ${m.nodeServerCpuMs} ms | ${m.nodeServerRssMb} MB | ${m.nodeServerSettledRssMb} MB |`,
    `| node -e 0 (spawn to exit) | ${m.nodeExitMs} ms | — | — | — |`,
    '',
    `camshim ÷ node server ${m.ratioToNodeServer.toFixed(2)}× (+${m.deltaToNodeServerMs} ms); camshim ÷ node -e ${m.ratioToNodeExit.toFixed(2)}×; CPU to first answer ÷ node server's ${m.cpuRatioToNodeServer.toFixed(2)}×; RSS +${m.rssDeltaMb} MB at ${result.idleSeconds} s, +${m.settledRssDeltaMb} MB idle`,
    `targets: first answer within ${FIRST_ANSWER_TARGET_MS} ms where node -e takes ${TARGET_NODE_EXIT_MS} ms, i.e. ≤ ${FIRST_ANSWER_TARGET_RATIO.toFixed(2)}× node -e in the same round: ${m.ratioToNodeExit <= FIRST_ANSWER_TARGET_RATIO ? 'met' : 'missed'} (${m.ratioToNodeExit.toFixed(2)}×; ${m.camshimMs} ms here, ${m.camshimMs <= FIRST_ANSWER_TARGET_MS ? 'within' : 'over'} ${FIRST_ANSWER_TARGET_MS} ms with node -e at ${m.nodeExitMs} ms); idle RSS within ${IDLE_RSS_TARGET_MB} MB of bare node: ${m.settledRssDeltaMb <= IDLE_RSS_TARGET_MB ? 'met' : 'missed'} (+${m.settledRssDeltaMb} MB)`,
    '',
  ].join('\n');
}
