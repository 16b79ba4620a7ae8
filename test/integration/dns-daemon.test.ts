import assert from 'node:assert/strict';
import net from 'node:net';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import dns2 from 'dns2';
import { QType } from '../../src/wire/constants.js';
import { encodeQuery } from '../../src/wire/encode-query.js';
import { startDaemon, tempDir, type RunningDaemon } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { udpExchange } from '../helpers/udp.js';
import { tcpFrame } from '../../src/wire/tcp-frame.js';
import { tcpMessages } from '../helpers/tcp-messages.js';

const { Packet } = dns2;

const LIST = '# vendor: Test\ncloud.vendor.example\n=exact.vendor.example\n';
const CONFIG = `
dns:
  negativeTtl: 900
  tcp:
    idleTimeoutMs: 1500
    maxConnections: 20
groups:
  - name: locked
    clients: [127.0.0.2/32]
    lists: ["*"]
    unlisted: nxdomain
access:
  allow: [127.0.0.0/8, "::1/128"]
lists:
  sources:
    - path: vendor.list
`;

describe('the daemon answers real DNS clients over UDP and TCP, IPv4 and IPv6', () => {
  let daemon: RunningDaemon;
  let dir: string;
  before(async () => {
    dir = await tempDir({ 'vendor.list': LIST, 'config.yaml': CONFIG });
    daemon = await startDaemon(['--config', path.join(dir, 'config.yaml')]);
  });
  after(async () => { await daemon.stop(); });

  for (const tool of ['dig', 'kdig'] as const) {
    for (const [family, server] of [[4, '127.0.0.1'], [6, '::1']] as const) {
      for (const transport of ['udp', 'tcp'] as const) {
        test(`${tool} over ${transport} IPv${family}: a subdomain of a listed name is NXDOMAIN with the SOA`, async () => {
          const flags = transport === 'tcp' ? ['+tcp'] : ['+notcp'];
          const result = await dig(tool, server, daemon.port(transport, family), [...flags, 'n-devs.cloud.vendor.example', 'AAAA']);
          assert.equal(result.status, 'NXDOMAIN');
          assert.ok(result.flags.includes('aa'));
          assert.match(result.authority[0] ?? '', /^cloud\.vendor\.example\.\s+900\s+IN\s+SOA\s+camshim\.invalid\. hostmaster\.camshim\.invalid\./);
        });
      }
    }
  }

  test('0x20 mixed case is echoed byte for byte and still matches', async () => {
    const result = await dig('dig', '127.0.0.1', daemon.port('udp', 4), ['ApI.ClOuD.VeNdOr.ExAmPlE', 'A']);
    assert.equal(result.status, 'NXDOMAIN');
    assert.equal(result.question, 'ApI.ClOuD.VeNdOr.ExAmPlE.');
    assert.match(result.authority[0]!, /^ClOuD\.VeNdOr\.ExAmPlE\./);
  });

  test('a trailing dot is the same name; an exact rule does not cover names below it', async () => {
    assert.equal((await dig('kdig', '127.0.0.1', daemon.port('udp', 4), ['exact.vendor.example.'])).status, 'NXDOMAIN');
    assert.equal((await dig('kdig', '127.0.0.1', daemon.port('udp', 4), ['a.exact.vendor.example'])).status, 'SERVFAIL');
  });

  test('NTP names are redirected to the loopback address the client used', async () => {
    const a = await dig('dig', '127.0.0.1', daemon.port('udp', 4), ['0.pool.ntp.org', 'A']);
    assert.equal(a.status, 'NOERROR');
    assert.match(a.answers[0]!, /\sA\s+127\.0\.0\.1$/);
    const aaaa = await dig('dig', '::1', daemon.port('udp', 6), ['time.windows.com', 'AAAA']);
    assert.match(aaaa.answers[0]!, /\sAAAA\s+::1$/);
    const event = await daemon.waitForLog((line) => line.event === 'redirect' && line.name === 'time.windows.com', 2000, 0);
    assert.equal(event.answer, 'AAAA ::1');
    assert.equal(event.list, 'ntp-hosts');
  });

  test('EDNS: OPT echoed with our payload size; BADVERS for version 1; no OPT without one', async () => {
    const withEdns = await dig('dig', '127.0.0.1', daemon.port('udp', 4), ['+edns=0', '+bufsize=4096', 'cloud.vendor.example']);
    assert.equal(withEdns.ednsVersion, 0);
    assert.equal(withEdns.udpSize, 1232);
    const badvers = await dig('dig', '127.0.0.1', daemon.port('udp', 4), ['+edns=1', '+noednsnegotiation', 'cloud.vendor.example']);
    assert.equal(badvers.status, 'BADVERS');
    const plain = await dig('dig', '127.0.0.1', daemon.port('udp', 4), ['+noedns', 'cloud.vendor.example']);
    assert.equal(plain.ednsVersion, undefined);
  });

  test('the sinkhole log has one event per sinkholed query with every field', async () => {
    const mark = daemon.logs.length;
    await dig('dig', '127.0.0.1', daemon.port('udp', 4), ['logged.cloud.vendor.example', 'TXT']);
    const event = await daemon.waitForLog((line) => line.event === 'sinkhole' && line.name === 'logged.cloud.vendor.example', 2000, mark);
    assert.equal(event.client, '127.0.0.1');
    assert.equal(event.type, 'TXT');
    assert.equal(event.group, 'default');
    assert.equal(event.list, 'vendor');
    assert.equal(event.rule, 'cloud.vendor.example');
    assert.equal(event.line, 2);
    assert.equal(event.answer, 'NXDOMAIN');
    assert.ok(typeof event.time === 'string');
  });

  test('group policy by source address: 127.0.0.2 is in the deny-by-default group', async () => {
    const result = await dig('dig', '127.0.0.1', daemon.port('udp', 4), ['-b', '127.0.0.2', 'www.unlisted.example']);
    assert.equal(result.status, 'NXDOMAIN');
    await daemon.waitForLog((line) => line.event === 'unlisted' && line.group === 'locked', 2000, 0);
  });

  test('malformed packets: FORMERR when the header is readable, silence otherwise; QR=1 never answered; NOTIMP for other opcodes', async () => {
    const port = daemon.port('udp', 4);
    const query = encodeQuery('cloud.vendor.example', QType.A, { id: 0x4242 });
    assert.equal(await udpExchange('127.0.0.1', port, query.subarray(0, 8), 300), null, 'short header: silence');
    const response = Buffer.from(query); response[2] = response[2]! | 0x80;
    assert.equal(await udpExchange('127.0.0.1', port, response, 300), null, 'QR=1: silence');
    const twoQuestions = Buffer.from(query); twoQuestions.writeUInt16BE(2, 4);
    const formerr = await udpExchange('127.0.0.1', port, twoQuestions);
    assert.equal(formerr![3]! & 0x0f, 1);
    assert.equal(formerr!.readUInt16BE(0), 0x4242);
    const notify = Buffer.from(query); notify[2] = (notify[2]! & 0x87) | (4 << 3);
    const notimp = await udpExchange('127.0.0.1', port, notify);
    assert.equal(notimp![3]! & 0x0f, 4);
    // Still serving.
    assert.equal((await dig('dig', '127.0.0.1', port, ['cloud.vendor.example'])).status, 'NXDOMAIN');
  });

  test('TCP: pipelined queries on one connection are all answered', async () => {
    const socket = net.connect(daemon.port('tcp', 4), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const frames = [1, 2, 3, 4, 5].map((id) => tcpFrame(encodeQuery(`q${id}.cloud.vendor.example`, QType.A, { id })));
    socket.write(Buffer.concat(frames));
    const ids = new Set<number>();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${ids.size} answers`)), 3000);
      socket.on('data', tcpMessages((message) => {
        const parsed = Packet.parse(message);
        assert.equal(parsed.header.rcode, 3);
        ids.add(parsed.header.id);
        if (ids.size === 5) { clearTimeout(timer); resolve(); }
      }));
    });
    socket.destroy();
    assert.deepEqual([...ids].sort(), [1, 2, 3, 4, 5]);
  });

  test('TCP: a client stalled mid-message blocks nobody and is closed by the idle timeout', async () => {
    const stalled = net.connect(daemon.port('tcp', 4), '127.0.0.1');
    await new Promise((resolve) => stalled.once('connect', resolve));
    stalled.write(Buffer.from([0x00, 0x40, 0x12, 0x34])); // promises 64 bytes, sends 2
    const closed = new Promise<number>((resolve) => { const t0 = Date.now(); stalled.on('close', () => resolve(Date.now() - t0)); });
    stalled.on('error', () => {});
    const started = Date.now();
    assert.equal((await dig('kdig', '127.0.0.1', daemon.port('tcp', 4), ['+tcp', 'cloud.vendor.example'])).status, 'NXDOMAIN');
    assert.ok(Date.now() - started < 1000, 'a fresh client is served at once');
    const lifetime = await closed;
    assert.ok(lifetime >= 1000 && lifetime < 4000, `idle timeout closed the stalled client after ${lifetime} ms`);
  });

  test('TCP: the connection cap holds and a fresh client is served once others leave', async () => {
    const sockets: net.Socket[] = [];
    for (let i = 0; i < 25; i++) {
      const socket = net.connect(daemon.port('tcp', 4), '127.0.0.1');
      socket.on('error', () => {});
      sockets.push(socket);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    const open = sockets.filter((socket) => !socket.destroyed && socket.readyState === 'open').length;
    assert.ok(open <= 20, `${open} connections stayed open with a cap of 20`);
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal((await dig('dig', '127.0.0.1', daemon.port('tcp', 4), ['+tcp', 'cloud.vendor.example'])).status, 'NXDOMAIN');
  });

  test('SIGHUP with a broken list keeps the old answers; a good list is then swapped in', async () => {
    const listFile = path.join(dir, 'vendor.list');
    const port = daemon.port('udp', 4);
    await writeFile(listFile, '\u0000\u0001garbage\n<html>\n<body>\n</body>\n</html>\n');
    let mark = daemon.logs.length;
    daemon.process.kill('SIGHUP');
    const rejected = await daemon.waitForLog((line) => line.event === 'reload', 5000, mark);
    assert.equal(rejected.applied, false);
    assert.ok(daemon.logs.slice(mark).some((line) => typeof line.msg === 'string' && line.msg.includes('vendor.list')), 'the error names the file');
    assert.equal((await dig('dig', '127.0.0.1', port, ['cloud.vendor.example'])).status, 'NXDOMAIN', 'old list still serving');

    await rm(listFile);
    mark = daemon.logs.length;
    daemon.process.kill('SIGHUP');
    assert.equal((await daemon.waitForLog((line) => line.event === 'reload', 5000, mark)).applied, false, 'a deleted list is an error too');
    assert.equal((await dig('dig', '127.0.0.1', port, ['cloud.vendor.example'])).status, 'NXDOMAIN');

    await writeFile(listFile, 'newcloud.vendor.example\n');
    mark = daemon.logs.length;
    daemon.process.kill('SIGHUP');
    assert.equal((await daemon.waitForLog((line) => line.event === 'reload', 5000, mark)).applied, true);
    assert.equal((await dig('dig', '127.0.0.1', port, ['newcloud.vendor.example'])).status, 'NXDOMAIN');
    assert.equal((await dig('dig', '127.0.0.1', port, ['cloud.vendor.example'])).status, 'SERVFAIL', 'old rule gone; forward policy without upstream');
    await writeFile(listFile, LIST);
  });
});

describe('access control', () => {
  test('clients outside the access networks get REFUSED (counted, not logged per packet)', async () => {
    const dir = await tempDir({ 'config.yaml': 'access:\n  allow: ["127.0.0.2/32"]\n' });
    const daemon = await startDaemon(['--config', path.join(dir, 'config.yaml')]);
    try {
      const result = await dig('dig', '127.0.0.1', daemon.port('udp', 4), ['pool.ntp.org']);
      assert.equal(result.status, 'REFUSED');
      assert.equal(result.answers.length, 0);
      const six = await dig('kdig', '::1', daemon.port('tcp', 6), ['+tcp', 'pool.ntp.org']);
      assert.equal(six.status, 'REFUSED');
      assert.equal((await dig('dig', '127.0.0.1', daemon.port('udp', 4), ['-b', '127.0.0.2', 'pool.ntp.org'])).status, 'NOERROR');
    } finally {
      await daemon.stop();
    }
    assert.ok(!daemon.logs.some((line) => line.event === 'refused'));
    const stop = daemon.logs.find((line) => line.event === 'stop') as { stats: { answers: { refused: number } } };
    assert.equal(stop.stats.answers.refused, 2);
  });
});

describe('lifecycle', () => {
  test('SIGTERM closes sockets, flushes the log and exits 0', async () => {
    const daemon = await startDaemon([]);
    const code = await daemon.stop();
    assert.equal(code, 0);
    assert.ok(daemon.logs.some((line) => line.event === 'stop'));
  });

  test('a taken port gives one clear message and exit code 1', async () => {
    const holder = await startDaemon([]);
    try {
      const second = await import('../helpers/daemon.js').then(({ runCli }) => runCli(['serve', '--listen', '127.0.0.1', '--dns-port', String(holder.port('udp', 4))]));
      assert.equal(second.code, 1);
      assert.match(second.stderr, /already in use, most likely by systemd-resolved/);
      assert.doesNotMatch(second.stderr, /\n\s+at /, 'no stack trace');
    } finally {
      await holder.stop();
    }
  });
});

describe('log level', () => {
  test('log.level from the config applies, and a reload changes it', async () => {
    const dir = await tempDir({ 'vendor.list': LIST, 'camshim.yaml': 'lists: { bundled: false, sources: [{ path: vendor.list }] }\nlog: { level: info }\n' });
    const configFile = path.join(dir, 'camshim.yaml');
    const daemon = await startDaemon(['--config', configFile]);
    try {
      const port = daemon.port('udp', 4);
      let mark = daemon.logs.length;
      assert.equal((await dig('dig', '127.0.0.1', port, ['a.cloud.vendor.example'])).status, 'NXDOMAIN');
      await daemon.waitForLog((line) => line.event === 'sinkhole' && line.name === 'a.cloud.vendor.example', 2000, mark);

      await writeFile(configFile, 'lists: { bundled: false, sources: [{ path: vendor.list }] }\nlog: { level: warn }\n');
      mark = daemon.logs.length;
      daemon.process.kill('SIGHUP');
      assert.equal((await daemon.waitForLog((line) => line.event === 'reload', 5000, mark)).applied, true);
      mark = daemon.logs.length;
      assert.equal((await dig('dig', '127.0.0.1', port, ['b.cloud.vendor.example'])).status, 'NXDOMAIN');
      // A rejected reload logs at error level: a barrier after the query's (unwanted) info line.
      await writeFile(configFile, 'log: { level: loud }\n');
      daemon.process.kill('SIGHUP');
      await daemon.waitForLog((line) => line.level === 50 && String(line.msg).startsWith('reload rejected'), 5000, mark);
      assert.deepEqual(daemon.logs.slice(mark).filter((line) => line.event === 'sinkhole'), [], 'no sinkhole line at level warn');
      assert.equal((await dig('dig', '127.0.0.1', port, ['c.cloud.vendor.example'])).status, 'NXDOMAIN', 'still serving');
    } finally {
      await daemon.stop();
    }
  });
});
