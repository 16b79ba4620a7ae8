import { execFile } from 'node:child_process';

export interface DigResult {
  readonly status: string;
  readonly flags: string[];
  readonly answers: string[];
  readonly authority: string[];
  readonly question: string;
  readonly ednsVersion: number | undefined;
  readonly udpSize: number | undefined;
  readonly raw: string;
}

/**
 * Runs a real DNS client (`dig` from bind9-dnsutils, or `kdig` from knot-dnsutils) against a
 * loopback server and parses its presentation output. Fails loudly when the tool is missing.
 */
export function dig(tool: 'dig' | 'kdig', server: string, port: number, args: readonly string[]): Promise<DigResult> {
  const base = tool === 'dig'
    ? [`@${server}`, '-p', String(port), '+time=2', '+tries=1', '+nocookie', ...args]
    : [`@${server}`, '-p', String(port), '+time=2', '+retry=0', ...args];
  return new Promise((resolve, reject) => {
    execFile(tool, base, { timeout: 10_000 }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new Error(`${tool} is not installed: apt-get install ${tool === 'dig' ? 'bind9-dnsutils' : 'knot-dnsutils'} (or run .ci/install-test-deps.sh as root)`));
        return;
      }
      if (error && stdout === '') { reject(new Error(`${tool} failed: ${stderr || error.message}`)); return; }
      resolve(parseDig(stdout));
    });
  });
}

export function parseDig(text: string): DigResult {
  const status = /status: ([A-Z]+)/.exec(text)?.[1] ?? 'NONE';
  const flagsText = /;; [Ff]lags: ([^;]*);/.exec(text)?.[1] ?? '';
  const section = (name: string): string[] => {
    const match = new RegExp(`;; ${name} SECTION:\\n([\\s\\S]*?)(?:\\n\\n|\\n;;|$)`).exec(text);
    return match?.[1] === undefined ? [] : match[1].split('\n').filter((line) => line.trim() !== '' && !line.startsWith(';'));
  };
  const question = /;; QUESTION SECTION:\n;(?:; )?(\S+)/.exec(text)?.[1] ?? '';
  const edns = /EDNS: version: (\d+)|;; Version: (\d+)/.exec(text);
  const udp = /udp: (\d+)|UDP size: (\d+)/.exec(text);
  return {
    status, flags: flagsText.trim().split(/\s+/).filter(Boolean), answers: section('ANSWER'), authority: section('AUTHORITY'),
    question, ednsVersion: edns === null ? undefined : Number(edns[1] ?? edns[2]), udpSize: udp === null ? undefined : Number(udp[1] ?? udp[2]), raw: text,
  };
}
