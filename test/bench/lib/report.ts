import type { ReportBenchResult } from './report-phase.js';
import type { MemoryResult, StormResult, ThroughputResult, WorkersResult } from './phases.js';

const k = (qps: number | undefined): string => (qps === undefined || Number.isNaN(qps) ? '—' : qps >= 10_000 ? `${(qps / 1000).toFixed(1)}k` : `${Math.round(qps)}`);
const ms = (value: number | undefined): string => (value === undefined || Number.isNaN(value) ? '—' : value >= 10 ? `${value.toFixed(0)} ms` : `${value.toFixed(2)} ms`);
const x = (ratio: number | undefined): string => (ratio === undefined || Number.isNaN(ratio) ? '—' : `${ratio.toFixed(2)}×`);

interface Target { readonly text: string; readonly value: string; readonly met: boolean | undefined }

/** The human summary: one table per phase, then the targets camshim is held to, met or not. */
export function formatReport(results: Record<string, unknown>): string {
  const small = results.small as ThroughputResult | undefined;
  const big = results.big as ThroughputResult | undefined;
  const memory = results.memory as MemoryResult | undefined;
  const matcher = results.matcher as { lookupsPerSecond: number } | undefined;
  const ntp = results.ntp as { requestsPerSecond?: number; cpuUsPerRequest?: number; skipped?: string } | undefined;
  const storm = results.storm as StormResult[] | undefined;
  const workers = results.workers as WorkersResult[] | undefined;
  const reportBench = results.report as ReportBenchResult | undefined;
  const lines: string[] = [];
  const machine = results.machine as Record<string, unknown>;
  lines.push(`\n## camshim bench — ${String(results.date).slice(0, 10)}, ${String(machine.cpuModel)}, ${String(machine.cores)} cores, node ${String(machine.node)}`);
  lines.push(`load average at start: ${JSON.stringify(machine.loadAverageAtStart)} (other work on the machine makes absolute figures noisy; same-round ratios are the robust ones)\n`);

  const labels = [...new Set([...(small?.servers ?? []), ...(big?.servers ?? [])].map((s) => s.label))];
  if (labels.length > 0) {
    lines.push('| server | q/s camera list | q/s 1M list | CPU/query camera | CPU/query 1M | p99 at 5k q/s camera | p99 at 5k q/s 1M | 1M start (to first answer) | 1M RSS after load |');
    lines.push('|---|---|---|---|---|---|---|---|---|');
    for (const label of labels) {
      const s = small?.servers.find((r) => r.label === label);
      const b = big?.servers.find((r) => r.label === label);
      lines.push(`| ${label} | ${k(s?.medianQps)} | ${k(b?.medianQps)} | ${s ? `${s.medianCpuUs.toFixed(1)} µs` : '—'} | ${b ? `${b.medianCpuUs.toFixed(1)} µs` : '—'} | ${ms(s?.medianP99)} | ${ms(b?.medianP99)} | ${b ? ms(b.readyMs) : '—'} | ${b ? `${b.rssAfterMb} MB` : '—'} |`);
    }
    lines.push('');
    const peers = Object.keys({ ...(small?.ratios ?? {}), ...(big?.ratios ?? {}) });
    if (peers.length > 0) {
      lines.push('| camshim ÷ peer (same round, median) | camera list | 1M list |');
      lines.push('|---|---|---|');
      for (const peer of peers) lines.push(`| ${peer} | ${x(small?.ratios[peer]?.median)} | ${x(big?.ratios[peer]?.median)} |`);
      lines.push('');
    }
  }
  if (memory) {
    lines.push('| camshim, 1M list | list load | first answer after spawn | RSS | above empty-list daemon |');
    lines.push('|---|---|---|---|---|');
    lines.push(`| empty list (baseline) | — | — | ${memory.emptyRssMb} MB | — |`);
    lines.push(`| from text | ${ms(memory.fromText.loadMs)} | ${ms(memory.fromText.readyMs)} | ${memory.fromText.rssMb} MB | ${memory.fromText.aboveEmptyMb} MB |`);
    lines.push(`| from the compiled cache (restart) | ${ms(memory.fromCache.loadMs)} | ${ms(memory.fromCache.readyMs)} | ${memory.fromCache.rssMb} MB | ${memory.fromCache.aboveEmptyMb} MB |`);
    lines.push(`| from text, then ${memory.afterReloads.reloads} reloads (SIGHUP, each built from text on the builder thread) | ${ms(memory.afterReloads.reloadMs)} per reload | — | ${memory.afterReloads.rssMb} MB | ${memory.afterReloads.aboveEmptyMb} MB |`);
    lines.push(`\ndomain table: ${memory.tableBytesPerName} bytes per name\n`);
  }
  if (matcher) lines.push(`matcher: ${k(matcher.lookupsPerSecond)} lookups/s (1M list, query-file names, one core)\n`);
  if (ntp) lines.push(ntp.skipped ? `NTP: skipped (${ntp.skipped})\n` : `NTP: ${k(ntp.requestsPerSecond)} requests/s, ${ntp.cpuUsPerRequest} µs server CPU per request (startNtpServer, rate limit opened wide)\n`);
  if (storm) {
    lines.push('| storm (one client, one sinkholed name) | well-behaved p50 | well-behaved p99 | p99 ÷ alone (same run) | well-behaved lost | storm answered | storm log lines (windows) |');
    lines.push('|---|---|---|---|---|---|---|');
    for (const row of storm) {
      const logged = row.stormLogLines === undefined ? '-' : `${row.stormLogLines} (${row.stormWindows})`;
      lines.push(`| ${row.variant} | ${ms(row.goodP50)} | ${ms(row.goodP99)} | ${x(row.p99VsAlone)} | ${row.goodLost} | ${k(row.stormAnsweredQps)} q/s | ${logged} |`);
    }
    lines.push('');
  }
  if (workers) {
    const base = workers[0]?.medianQps ?? Number.NaN;
    lines.push('| --workers (camera list, all cores shared with dnsperf) | q/s | vs 1 worker | server CPU/query | dnsperf CPU/query | this machine\'s ceiling | share of ceiling |');
    lines.push('|---|---|---|---|---|---|---|');
    for (const row of workers) {
      lines.push(`| ${row.workers} | ${k(row.medianQps)} | ${x(row.medianQps / base)} | ${row.serverCpuUs.toFixed(1)} µs | ${row.clientCpuUs.toFixed(1)} µs | ${k(row.ceilingQps)} | ${Math.round((100 * row.medianQps) / row.ceilingQps)}% |`);
    }
    lines.push('');
    lines.push('ceiling: the q/s at which every core is busy with server or dnsperf work (cores × 1e6 ÷ (server + dnsperf µs per query)), and no more than the workers\' own cores can answer. Where the 2-worker ceiling is barely above what 1 worker already does, this machine cannot show scaling.');
    lines.push('');
  }
  if (reportBench) {
    lines.push('| camshim report (--format json) | wall time | MB/s | peak RSS |');
    lines.push('|---|---|---|---|');
    for (const row of reportBench.report) lines.push(`| ${row.label} log | ${row.seconds} s | ${row.mbPerSecond} | ${row.peakRssMb} MB |`);
    if (reportBench.jqSeconds !== undefined) {
      const mbPerSecond = Math.round(reportBench.sizes[1]!.bytes / 1e6 / reportBench.jqSeconds);
      lines.push(`| jq \\| sort \\| uniq -c (per-name counts only), ${reportBench.report[1]!.label} log | ${reportBench.jqSeconds} s | ${mbPerSecond} | ${reportBench.jqPeakRssMb ?? '—'} MB |`);
      const rss = reportBench.jqPeakRssMb === undefined ? '—' : x(reportBench.report[1]!.peakRssMb / reportBench.jqPeakRssMb);
      lines.push(`\ncamshim report ÷ jq pipeline, ${reportBench.report[1]!.label} log, same round (median): speed ${x(reportBench.speedup)} (pipeline time ÷ camshim report time), peak RSS ${rss}`);
    }
    lines.push('');
  }

  const targets: Target[] = [];
  const ratio = (t: ThroughputResult | undefined, peer: string): number | undefined => t?.ratios[peer]?.median;
  const camshim = (t: ThroughputResult | undefined) => t?.servers.find((s) => s.kind === 'camshim');
  if (small?.ratios.dnsmasq) targets.push({ text: 'camera list: ≥ 0.5× dnsmasq q/s (log on)', value: x(ratio(small, 'dnsmasq')), met: ratio(small, 'dnsmasq')! >= 0.5 });
  if (big?.ratios.dnsmasq) targets.push({ text: '1M list: ≥ 10× dnsmasq q/s', value: x(ratio(big, 'dnsmasq')), met: ratio(big, 'dnsmasq')! >= 10 });
  if (big?.ratios.unbound) targets.push({ text: '1M list: ≥ 0.55× unbound q/s', value: x(ratio(big, 'unbound')), met: ratio(big, 'unbound')! >= 0.55 });
  if (memory) {
    targets.push({ text: '1M list: ≤ 32 MB RSS above the empty-list daemon (from cache)', value: `${memory.fromCache.aboveEmptyMb} MB`, met: memory.fromCache.aboveEmptyMb <= 32 });
    targets.push({ text: '1M list: ≤ 32 MB RSS above the empty-list daemon (from text)', value: `${memory.fromText.aboveEmptyMb} MB`, met: memory.fromText.aboveEmptyMb <= 32 });
    targets.push({ text: '1M list: loaded from text in < 0.7 s', value: ms(memory.fromText.loadMs), met: memory.fromText.loadMs < 700 });
    targets.push({ text: '1M list: loaded from the cache in < 0.1 s', value: ms(memory.fromCache.loadMs), met: memory.fromCache.loadMs < 100 });
  }
  const p99 = camshim(small)?.medianP99;
  if (p99 !== undefined) targets.push({ text: 'p99 < 0.5 ms at 5,000 q/s, log on (camera list)', value: ms(p99), met: p99 < 0.5 });
  const p99Big = camshim(big)?.medianP99;
  if (p99Big !== undefined) targets.push({ text: 'p99 < 0.5 ms at 5,000 q/s, log on (1M list)', value: ms(p99Big), met: p99Big < 0.5 });
  const limited = storm?.find((row) => row.variant.includes('rate limit ('));
  if (limited) targets.push({ text: 'storm: well-behaved p99 ≤ 5 ms (rate limiter on)', value: ms(limited.goodP99), met: limited.goodP99 <= 5 });
  const fixed = storm?.find((row) => row.variant.startsWith('storm at '));
  if (fixed) {
    targets.push({ text: `${fixed.variant}: the well-behaved p99 does not rise (≤ 1.5× alone, same run)`, value: x(fixed.p99VsAlone), met: fixed.p99VsAlone <= 1.5 });
    if (fixed.stormLogLines !== undefined && fixed.stormWindows !== undefined) {
      targets.push({ text: `${fixed.variant}: ≤ 1 log line per window for the storming name, beside its first query's`, value: `${fixed.stormLogLines} in ${fixed.stormWindows}`, met: fixed.stormLogLines <= fixed.stormWindows + 1 });
    }
  }
  const unlimited = storm?.find((row) => row.variant === 'storm, no rate limit');
  if (unlimited?.stormLogLines !== undefined && unlimited.stormWindows !== undefined) {
    targets.push({ text: 'storm: ≤ 1 log line per window for the storming name, beside its first query\'s (no rate limit)', value: `${unlimited.stormLogLines} in ${unlimited.stormWindows}`, met: unlimited.stormLogLines <= unlimited.stormWindows + 1 });
  }
  if (reportBench?.speedup !== undefined) targets.push({ text: 'camshim report ≥ 2× faster than jq \\| sort \\| uniq -c on the big log', value: x(reportBench.speedup), met: reportBench.speedup >= 2 });
  if (reportBench) targets.push({ text: 'camshim report peak RSS on the big log within 50 MB of the 10 MB log', value: `${reportBench.rssGrowthMb >= 0 ? '+' : ''}${reportBench.rssGrowthMb} MB`, met: reportBench.rssGrowthMb <= 50 });
  if (workers && workers.length > 1) {
    const [one, two] = [workers[0]!, workers[1]!];
    targets.push({
      text: '--workers 2 scales q/s (> 1.1× one worker)',
      value: `${x(two.medianQps / one.medianQps)} (this machine's ceiling: ${x(two.ceilingQps / one.medianQps)})`,
      met: two.medianQps > one.medianQps * 1.1,
    });
  }
  if (targets.length > 0) {
    lines.push('| target | measured | met |');
    lines.push('|---|---|---|');
    for (const target of targets) lines.push(`| ${target.text} | ${target.value} | ${target.met === undefined ? '—' : target.met ? 'yes' : 'NO'} |`);
  }
  return `${lines.join('\n')}\n`;
}
