import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pino from 'pino';
import { cachedIsoTime } from '../../src/log/iso-time.js';
import type { QueryEvent } from '../../src/log/query-events.js';
import { jsonString, queryLineWriter } from '../../src/log/query-line.js';
import { seededRandom } from '../helpers/prng.js';

/** A pino logger writing into an array, with a fixed clock so two lines can be compared byte for byte. */
function capture(options: pino.LoggerOptions = {}): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  let ms = Date.UTC(2026, 10, 21, 6, 40, 12, 118);
  const logger = pino({ level: 'info', base: { service: 'camshim' }, timestamp: cachedIsoTime(() => ms++), ...options }, { write: (line: string) => { lines.push(line); } });
  return { logger, lines };
}

const EVENTS: QueryEvent[] = [
  { event: 'sinkhole', client: '192.168.20.31', name: 'n-devs.tplinkcloud.com', type: 'A', group: 'cameras', list: 'tplink', rule: 'tplinkcloud.com', line: 16, answer: 'NXDOMAIN' },
  { event: 'unlisted', client: 'fd00::31', name: 'example.org', type: 'AAAA', group: 'default', list: null, rule: null, line: null, answer: 'NXDOMAIN' },
  { event: 'redirect', client: '10.0.0.2', name: 'pool.ntp.org', type: 'A', group: 'g "quoted" \\ back', list: 'ntp-hosts', rule: '=pool.ntp.org', line: 12, answer: 'A 192.168.20.1' },
  // Names are raw latin1 from the wire: quotes, backslashes, control and high bytes must all be escaped as pino does.
  { event: 'sinkhole', client: '127.0.0.1', name: 'a"b\\c\u0000\u0001\u001f\u007f\u00e9\u00ff.example', type: 'TYPE65', group: 'g\nline', list: 'l\u2028', rule: 'r\t', line: 0, answer: 'NODATA' },
];

describe('the hand-built query line', () => {
  test('is byte for byte what pino writes for the same event, bindings and level included', () => {
    for (const bindings of [undefined, { worker: 2 }]) {
      const viaPino = capture();
      const viaWriter = capture();
      const pinoLogger = bindings === undefined ? viaPino.logger : viaPino.logger.child(bindings);
      const writerLogger = bindings === undefined ? viaWriter.logger : viaWriter.logger.child(bindings);
      const write = queryLineWriter(writerLogger);
      for (const event of EVENTS) {
        pinoLogger.info(event, event.event);
        write(event);
      }
      assert.deepEqual(viaWriter.lines, viaPino.lines);
      for (const line of viaWriter.lines) assert.equal(typeof JSON.parse(line), 'object');
    }
  });

  test('random names of every byte value round-trip through JSON.parse', () => {
    const { logger, lines } = capture();
    const write = queryLineWriter(logger);
    const random = seededRandom(7);
    const names: string[] = [];
    for (let index = 0; index < 500; index++) {
      let name = '';
      const length = 1 + Math.floor(random() * 30);
      for (let char = 0; char < length; char++) name += String.fromCharCode(Math.floor(random() * 256));
      names.push(name);
      write({ ...EVENTS[0]!, name });
    }
    assert.deepEqual(lines.map((line) => (JSON.parse(line) as { name: string }).name), names);
  });

  test('follows the logger level, including changes after it was made', () => {
    const { logger, lines } = capture();
    const write = queryLineWriter(logger);
    logger.level = 'warn';
    write(EVENTS[0]!);
    assert.equal(lines.length, 0);
    logger.level = 'debug';
    write(EVENTS[0]!);
    assert.equal(lines.length, 1);
  });

  test('a logger with a log formatter gets the event through pino itself', () => {
    const { logger, lines } = capture({ formatters: { log: (object) => ({ ...object, extra: true }) } });
    queryLineWriter(logger)(EVENTS[0]!);
    assert.equal((JSON.parse(lines[0]!) as { extra: boolean }).extra, true);
  });

  test('jsonString matches JSON.stringify', () => {
    for (const text of ['', 'plain', 'q"', 'b\\', '\u0000', '\u00e9', '\ud800', 'x\u2028y']) assert.equal(jsonString(text), JSON.stringify(text));
  });
});

describe('cachedIsoTime', () => {
  test('formats each millisecond once and changes with the clock', () => {
    let ms = Date.UTC(2026, 10, 21, 0, 0, 0, 5);
    const time = cachedIsoTime(() => ms);
    const first = time();
    assert.equal(first, ',"time":"2026-11-21T00:00:00.005Z"');
    assert.equal(time(), first);
    assert.equal(time(), first, 'same string while the millisecond lasts');
    ms++;
    assert.equal(time(), ',"time":"2026-11-21T00:00:00.006Z"');
  });
});
