import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pickOptions, yargsOptions } from '../../src/cli/option-specs.js';
import { quickParse } from '../../src/cli/quick-parse.js';
import { baseParser } from '../../src/cli/run-cli.js';
import { SERVE_OPTIONS, type ServeOptions } from '../../src/cli/serve-command.js';

type YargsReading = { readonly ok: true; readonly options: ServeOptions } | { readonly ok: false; readonly error: string };

/** `camshim serve ARGS` as yargs reads it, with run-cli's settings and serve's declared options. */
async function yargsReading(args: readonly string[]): Promise<YargsReading> {
  let error: string | undefined;
  let options: ServeOptions | undefined;
  const parser = (await baseParser(['serve', ...args], (message) => { error = message; }))
    .command('serve', 'serve', (command) => command.options(yargsOptions(SERVE_OPTIONS)), (argv) => { options = pickOptions(argv, SERVE_OPTIONS); });
  try {
    await parser.parseAsync();
  } catch (thrown) {
    error ??= (thrown as Error).message;
  }
  if (error !== undefined) return { ok: false, error };
  // --help and --version end without running the handler.
  return options === undefined ? { ok: false, error: 'no command ran' } : { ok: true, options };
}

/** Whatever quickParse reads must be exactly what yargs reads; what it leaves, yargs decides. */
async function assertAgrees(args: readonly string[]): Promise<ServeOptions | undefined> {
  const quick = quickParse(args, SERVE_OPTIONS);
  if (quick === undefined) return undefined;
  const reading = await yargsReading(args);
  assert.ok(reading.ok, `quick-parse accepted ${JSON.stringify(args)}, which yargs rejects: ${reading.ok ? '' : reading.error}`);
  assert.deepEqual(quick, reading.options, `quick-parse and yargs read ${JSON.stringify(args)} differently`);
  return quick;
}

test('the documented serve command lines are read without yargs, as yargs reads them', async () => {
  const cases: [string[], ServeOptions][] = [
    [[], {}],
    [['--listen', '127.0.0.1', '--listen', '::1', '--dns-port', '5353'], { listen: ['127.0.0.1', '::1'], 'dns-port': '5353' }],
    [['--dns-port=5353', '-c', '/etc/camshim/camshim.yaml'], { 'dns-port': '5353', config: '/etc/camshim/camshim.yaml' }],
    [['--config=/etc/camshim/camshim.yaml', '--blocklist', 'extra.txt', '--blocklist', 'https://lists.example/cams.txt'],
      { config: '/etc/camshim/camshim.yaml', blocklist: ['extra.txt', 'https://lists.example/cams.txt'] }],
    [['--state-dir', '/var/lib/camshim', '--log-level', 'debug', '--http', '127.0.0.1:9153', '--workers', '2', '--pid-file', '/run/camshim.pid',
      '--log-format', 'json', '--upstream', '127.0.0.1:5300', '--upstream', '[::1]:5300', '--resolv-conf', '/dev/null', '--ntp-port', '0'],
    { 'state-dir': '/var/lib/camshim', 'log-level': 'debug', http: '127.0.0.1:9153', workers: '2', 'pid-file': '/run/camshim.pid',
      'log-format': 'json', upstream: ['127.0.0.1:5300', '[::1]:5300'], 'resolv-conf': '/dev/null', 'ntp-port': '0' }],
    // A value the config schema then rejects is still read as given (the schema names the flag).
    [['--ntp-port', '-1'], { 'ntp-port': '-1' }],
    [['--dns-port', 'abc'], { 'dns-port': 'abc' }],
  ];
  for (const [args, expected] of cases) {
    assert.deepEqual(quickParse(args, SERVE_OPTIONS), expected, JSON.stringify(args));
    assert.deepEqual(await assertAgrees(args), expected);
  }
});

test('help, version, unknown options and malformed command lines are left to yargs', async () => {
  const cases = [
    ['--help'], ['-h'], ['--version'], ['--bogus'], ['--bogus', '1'], ['-x'], ['extra'], ['--listen', '127.0.0.1', 'extra'],
    ['--dns-port'], ['--listen'], ['--dns-port', ''], ['--dns-port', '1', '--dns-port', '2'], ['--', '--dns-port', '1'],
    ['--no-listen'], ['--listen.x', '1'], ['--dns-port', '53', '--help'], ['-c'],
  ];
  for (const args of cases) assert.equal(quickParse(args, SERVE_OPTIONS), undefined, JSON.stringify(args));
  // yargs itself rejects the unknown and malformed ones, as before.
  for (const args of [['--bogus'], ['extra'], ['--dns-port'], ['--listen']]) {
    const reading = await yargsReading(args);
    assert.equal(reading.ok, false, JSON.stringify(args));
  }
});

test('for a few hundred random serve command lines, quick-parse either reads them as yargs does or leaves them to yargs', async () => {
  const words = ['--listen', '--dns-port', '--ntp-port', '--upstream', '--config', '-c', '--blocklist', '--state-dir', '--log-level', '--http',
    '--workers', '--pid-file', '--log-format', '--resolv-conf', '--dnsPort', '--bogus', '-h', '--', '--no-http', '--dns-port=53', '--listen=::1',
    '127.0.0.1', '::1', '53', '-1', '0', '', 'x', 'serve', '--log-level=debug', '-cfile.yaml'];
  // A fixed seed: the same command lines on every run.
  let seed = 20261204;
  const next = (limit: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % limit; };
  let accepted = 0;
  for (let round = 0; round < 400; round += 1) {
    const args = Array.from({ length: next(7) }, () => words[next(words.length)]!);
    if (await assertAgrees(args) !== undefined) accepted += 1;
  }
  // The comparison means something only if quick-parse takes a fair share of them.
  assert.ok(accepted >= 40, `quick-parse read ${accepted} of 400`);
});
