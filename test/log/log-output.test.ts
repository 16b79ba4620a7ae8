import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { defaultConfig, configFrom } from '../../src/config/load-config.js';
import { createRootLogger } from '../../src/log/logger.js';
import { logStyle, openLogOutput, stormOptions } from '../../src/log/log-output.js';
import { prettyLine } from '../../src/log/pretty-line.js';
import { tempDir } from '../helpers/daemon.js';

const TTY = { stdoutIsTty: true, noColour: false };
const PIPE = { stdoutIsTty: false, noColour: false };

test('auto is pretty on a terminal, JSON into a pipe or a file; colour only on a terminal without NO_COLOR', () => {
  const log = defaultConfig().log;
  assert.deepEqual(logStyle(log, TTY), { format: 'pretty', colour: true });
  assert.deepEqual(logStyle(log, { stdoutIsTty: true, noColour: true }), { format: 'pretty', colour: false });
  assert.deepEqual(logStyle(log, PIPE), { format: 'json', colour: false });
  assert.deepEqual(logStyle({ ...log, format: 'pretty' }, PIPE), { format: 'pretty', colour: false });
  assert.deepEqual(logStyle({ ...log, format: 'json' }, TTY), { format: 'json', colour: false });
  const toFile = { ...log, file: { path: 'x.log', keep: 1 } };
  assert.deepEqual(logStyle(toFile, TTY), { format: 'json', colour: false });
  assert.deepEqual(logStyle({ ...toFile, format: 'pretty' }, TTY), { format: 'pretty', colour: false });
});

test('the storm settings in seconds become the collapser\'s milliseconds', () => {
  assert.deepEqual(stormOptions(defaultConfig().log), { windowMs: 60_000, maxWindows: 10_000 });
  assert.deepEqual(stormOptions(configFrom({ log: { stormWindowSeconds: 0, stormMaxWindows: 7 } }).log), { windowMs: 0, maxWindows: 7 });
});

test('a log file path is relative to the config\'s folder, and the root logger writes JSON lines into it', async () => {
  const dir = await tempDir();
  const config = configFrom({ log: { file: { path: 'logs/camshim.log', size: '1m', frequency: 'daily', keep: 3 } } });
  const output = await openLogOutput(config.log, dir, TTY);
  assert.equal(output.format, 'json');
  assert.equal(output.description, `${path.join(dir, 'logs/camshim.log')}, json, rotated at 1m and daily, 3 kept`);
  const root = createRootLogger('info', output.destination, { format: output.format, colour: output.colour });
  root.logger.info({ event: 'test' }, 'into the file');
  assert.equal(await root.close(), true);
  const text = await readFile(path.join(dir, 'logs', 'camshim.1.log'), 'utf8');
  assert.equal((JSON.parse(text) as { event: string }).event, 'test');
});

test('a log file that cannot be opened is a clear LOG_FILE_OPEN error', async () => {
  const dir = await tempDir({ 'not-a-folder': '' });
  const config = configFrom({ log: { file: { path: 'not-a-folder/camshim.log' } } });
  await assert.rejects(openLogOutput(config.log, dir, PIPE), (error: unknown) => {
    assert.equal((error as { code?: string }).code, 'LOG_FILE_OPEN');
    assert.match((error as Error).message, /^cannot open log file .*not-a-folder\/camshim\.log: /);
    return true;
  });
});

test('a pretty query line names the client by host, address and MAC, as far as known', () => {
  const line = (fields: Record<string, unknown>): string => prettyLine(JSON.stringify({
    level: 30, time: '2026-12-04T06:40:12.118Z', service: 'camshim', v: 1, event: 'sinkhole', client: '192.168.20.31', ...fields,
    name: 'n-devs.tplinkcloud.com', type: 'A', group: 'cameras', list: 'tplink', rule: 'tplinkcloud.com', line: 16, answer: 'NXDOMAIN', msg: 'sinkhole',
  }), false);
  assert.equal(line({ mac: '5c:e9:31:aa:bb:cc', host: 'garage-c200' }), '06:40:12.118 INFO  sinkhole garage-c200(192.168.20.31 5c:e9:31:aa:bb:cc)  n-devs.tplinkcloud.com A -> NXDOMAIN  tplink:tplinkcloud.com');
  assert.equal(line({ mac: '5c:e9:31:aa:bb:cc' }), '06:40:12.118 INFO  sinkhole 192.168.20.31 5c:e9:31:aa:bb:cc  n-devs.tplinkcloud.com A -> NXDOMAIN  tplink:tplinkcloud.com');
  assert.equal(line({}), '06:40:12.118 INFO  sinkhole 192.168.20.31  n-devs.tplinkcloud.com A -> NXDOMAIN  tplink:tplinkcloud.com');
});
