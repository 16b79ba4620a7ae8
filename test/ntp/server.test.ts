import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { CamshimError } from '../../src/errors.js';
import { decodeHeader } from '../../src/ntp/packet.js';
import { KISS_RATE } from '../../src/ntp/responder.js';
import { startNtpServer, type NtpServerDeps, type NtpServerOptions } from '../../src/ntp/server.js';
import type { HostSync } from '../../src/ntp/sync-status.js';
import { ntpFromUnixNs } from '../../src/ntp/timestamp.js';
import {
  captureLogger,
  exchange,
  FakeClock,
  fixedStatus,
  LOSSY_TS,
  ManualTimers,
  NOT_BEFORE,
  prng,
  randomBytes,
  request,
  sendThenMarker,
  synced,
  testOptions,
  txOf,
  unsynced,
} from './helpers.js';

const allowAll = (): { allowed: boolean; group: string } => ({ allowed: true, group: 'cams' });

async function start(opts: Partial<NtpServerOptions> = {}, deps: Partial<NtpServerDeps> = {}) {
  const cap = captureLogger('info');
  const handle = await startNtpServer(testOptions(opts), {
    logger: cap.logger,
    classify: allowAll,
    syncStatus: fixedStatus(synced({ rootDispersion: 0.001 })),
    timers: new ManualTimers(),
    ...deps,
  });
  const port = (family: 'IPv4' | 'IPv6' = 'IPv4'): number => {
    const a = handle.addresses().find((x) => x.family === family);
    assert.ok(a, `no ${family} socket`);
    return a.port;
  };
  return { handle, port, lines: cap.lines };
}

describe('NTP server over real sockets (127.0.0.1, ::1)', () => {
  let srv: Awaited<ReturnType<typeof start>>;
  before(async () => {
    srv = await start({ listen: ['127.0.0.1', '::1'], rateLimit: { enabled: true, ratePerSecond: 1000, burst: 5000, maxClients: 16, overLimit: 'kod', leakProbability: 0 } });
  });
  after(async () => {
    await srv.handle.close();
  });

  it('binds both families and logs its state at start-up', () => {
    const fams = srv.handle.addresses().map((a) => a.family).sort();
    assert.deepEqual(fams, ['IPv4', 'IPv6']);
    const startLine = srv.lines.find((l) => String(l.msg).startsWith('NTP server started'));
    assert.ok(startLine);
    assert.equal(startLine.state, 'synchronised');
    assert.equal(startLine.event, 'ntp-clock');
  });

  it('echoes the origin byte-exact and the version, with honest timestamps', async () => {
    for (const version of [1, 2, 3, 4]) {
      const beforeNs = BigInt(Date.now() - 1) * 1_000_000n;
      const reply = await exchange('127.0.0.1', srv.port(), request({ version, transmitTs: LOSSY_TS }));
      const afterNs = BigInt(Date.now() + 1) * 1_000_000n;
      assert.ok(reply, `no reply to v${version}`);
      assert.equal(reply.length, 48);
      const h = decodeHeader(reply);
      assert.equal(h.originTs, LOSSY_TS);
      assert.deepEqual([h.version, h.mode, h.stratum, h.leap], [version, 4, 3, 0]);
      assert.ok(h.receiveTs >= ntpFromUnixNs(beforeNs) && h.receiveTs <= h.transmitTs && h.transmitTs <= ntpFromUnixNs(afterNs));
      assert.notEqual(h.transmitTs & 0xfff_ffffn, 0n); // sub-ms fraction bits present
    }
  });

  it('answers over IPv6 (::1)', async () => {
    const reply = await exchange('::1', srv.port('IPv6'), request({ transmitTs: LOSSY_TS }));
    assert.ok(reply);
    assert.equal(decodeHeader(reply).originTs, LOSSY_TS);
  });

  it('sends nothing back to modes 0, 1, 2, 4, 5, 6, 7, bad versions, MACs or short packets', async () => {
    const before = srv.handle.stats().dropped;
    const junk = [
      ...[0, 1, 2, 4, 5, 6, 7].map((mode) => request({ mode })),
      request({ version: 0 }),
      request({ version: 5 }),
      request({ trailer: Buffer.alloc(20, 1) }),
      Buffer.alloc(0),
      Buffer.alloc(1, 0x23),
      request().subarray(0, 47),
    ];
    for (const family of ['127.0.0.1', '::1']) {
      const { replies, marker } = await sendThenMarker(family, srv.port(family === '::1' ? 'IPv6' : 'IPv4'), junk);
      assert.ok(marker, 'the marker request after the junk was answered');
      assert.equal(replies.length, 0, `unexpected replies: ${replies.map((r) => r.toString('hex')).join(' ')}`);
    }
    const after = srv.handle.stats().dropped;
    assert.equal(after['control-mode'] - before['control-mode'], 4);
    assert.equal(after['not-client-mode'] - before['not-client-mode'], 10);
    assert.equal(after['too-short'] - before['too-short'], 6);
    assert.equal(after['bad-version'] - before['bad-version'], 4);
    assert.equal(after.authenticated - before.authenticated, 2);
  });

  it('still answers after 1,000 random datagrams', async () => {
    const rand = prng(2024);
    const received0 = srv.handle.stats().received;
    let replies = 0;
    // Batches of 100, each followed by a marker, so the kernel's receive buffer never overflows.
    for (let batch = 0; batch < 10; batch++) {
      const junk: Buffer[] = [];
      for (let i = 0; i < 100; i++) junk.push(randomBytes(rand, rand() < 0.5 ? 48 : Math.floor(rand() * 120)));
      const res = await sendThenMarker('127.0.0.1', srv.port(), junk, 3000);
      assert.ok(res.marker, `no answer after batch ${batch}`);
      for (const r of res.replies) assert.equal(r.length, 48);
      replies += res.replies.length;
    }
    const s = srv.handle.stats();
    assert.equal(s.received - received0, 1010);
    assert.equal(s.dropped['internal-error'], 0);
    assert.ok(replies > 0 && replies < 1000, `${replies} of the random datagrams were well-formed requests`);
  });

  it('never sends two replies with the same transmit timestamp', async () => {
    const seen: bigint[] = [];
    for (let batch = 0; batch < 6; batch++) {
      const reqs = Array.from({ length: 50 }, (_, i) => request({ transmitTs: BigInt(batch * 100 + i + 1) }));
      const res = await sendThenMarker('127.0.0.1', srv.port(), reqs, 3000);
      assert.ok(res.marker);
      seen.push(...res.replies.map(txOf), txOf(res.marker));
    }
    assert.equal(seen.length, 306);
    assert.equal(new Set(seen).size, seen.length);
  });

  it('logs each new client once at info and counts served requests', async () => {
    const newClients = srv.lines.filter((l) => l.msg === 'new NTP client');
    assert.ok(newClients.length >= 2); // 127.0.0.1 and ::1
    const v4 = newClients.find((l) => l.client === '127.0.0.1');
    assert.ok(v4);
    assert.equal(v4.group, 'cams');
    assert.equal(v4.event, 'ntp-client');
    assert.equal(typeof v4.firstSeen, 'string');
    assert.equal(newClients.filter((l) => l.client === '127.0.0.1').length, 1);
    assert.ok(srv.handle.stats().served >= 305);
  });

  it('lists its clients with wall-clock times (the request clock is monotonic)', () => {
    const v4 = srv.handle.clients().find((seen) => seen.address === '127.0.0.1');
    assert.ok(v4);
    assert.equal(v4.group, 'cams');
    assert.ok(v4.requests >= 2);
    const first = Date.parse(v4.firstSeen);
    const last = Date.parse(v4.lastSeen);
    assert.ok(first <= last && last <= Date.now() && Date.now() - first < 60_000, `${v4.firstSeen} .. ${v4.lastSeen}`);
  });
});

describe('NTP server rate limiting over real sockets', () => {
  async function burst(port: number, n: number): Promise<Buffer[]> {
    const socket = dgram.createSocket('udp4');
    const got: Buffer[] = [];
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 700);
      socket.on('message', (m) => {
        got.push(m);
        if (got.length === n) {
          clearTimeout(timer);
          resolve();
        }
      });
      socket.bind(0, '127.0.0.1', () => {
        for (let i = 0; i < n; i++) socket.send(request({ transmitTs: BigInt(i + 1) }), port, '127.0.0.1');
      });
    });
    socket.close();
    return got;
  }

  it('answers a burst over the limit with RATE kiss-o-death packets no larger than the request', async () => {
    const { handle, port } = await start({ rateLimit: { enabled: true, ratePerSecond: 0.001, burst: 3, maxClients: 8, overLimit: 'kod', leakProbability: 0 } });
    try {
      const got = await burst(port(), 10);
      assert.equal(got.length, 10);
      const kods = got.filter((m) => decodeHeader(m).stratum === 0);
      assert.equal(kods.length, 7);
      for (const k of kods) {
        const h = decodeHeader(k);
        assert.deepEqual([h.leap, h.refId, k.length], [3, KISS_RATE, 48]);
      }
      const s = handle.stats();
      assert.deepEqual([s.served, s.kod, s.rateLimited], [3, 7, 7]);
    } finally {
      await handle.close();
    }
  });

  it('a reload\'s ntp.rateLimit applies to the same buckets: no client gets a fresh burst, the new answer applies at once', async () => {
    const limit = { enabled: true, ratePerSecond: 0.001, burst: 3, maxClients: 8, overLimit: 'kod', leakProbability: 0 } as const;
    const { handle, port } = await start({ rateLimit: limit });
    try {
      assert.equal((await burst(port(), 3)).filter((m) => decodeHeader(m).stratum !== 0).length, 3);
      handle.setRateLimit({ ...limit, burst: 10, overLimit: 'drop' });
      assert.equal((await burst(port(), 4)).length, 0, 'the bucket is still empty (a bigger burst refills nothing), and over the limit is now silence');
      handle.setRateLimit({ ...limit, enabled: false });
      assert.equal((await burst(port(), 4)).filter((m) => decodeHeader(m).stratum !== 0).length, 4, 'disabled: every request served');
      assert.deepEqual([handle.stats().served, handle.stats().rateLimited], [7, 4]);
    } finally {
      await handle.close();
    }
  });

  it('stays silent over the limit with overLimit: drop, except for the random leak', async () => {
    const randoms = [0.9, 0.01, 0.9, 0.9, 0.9, 0.9, 0.9];
    let i = 0;
    const { handle, port } = await start(
      { rateLimit: { enabled: true, ratePerSecond: 0.001, burst: 2, maxClients: 8, overLimit: 'drop', leakProbability: 0.05 } },
      { random: () => randoms[i++] ?? 0.9 },
    );
    try {
      const got = await burst(port(), 8);
      assert.equal(got.length, 3); // 2 in the burst + 1 leaked
      assert.ok(got.every((m) => decodeHeader(m).stratum === 3));
      const s = handle.stats();
      assert.deepEqual([s.served, s.kod, s.rateLimited, s.leaked, s.dropped['rate-limited']], [3, 0, 6, 1, 5]);
    } finally {
      await handle.close();
    }
  });
});

describe('NTP server access control, errors and lifecycle', () => {
  it('drops requests the classifier denies', async () => {
    const { handle, port } = await start({}, { classify: () => ({ allowed: false, group: 'blocked' }) });
    try {
      assert.equal(await exchange('127.0.0.1', port(), request(), 300), null);
      assert.equal(handle.stats().dropped.denied, 1);
    } finally {
      await handle.close();
    }
  });

  it('rejects with NTP_PORT_IN_USE naming address:port when the port is taken', async () => {
    const squatter = dgram.createSocket('udp4');
    await new Promise<void>((r) => squatter.bind(0, '127.0.0.1', () => r()));
    const taken = squatter.address().port;
    try {
      await assert.rejects(
        start({ port: taken, listen: ['::1', '127.0.0.1'] }),
        (e: unknown) => e instanceof CamshimError && e.code === 'NTP_PORT_IN_USE' && e.message.includes(`127.0.0.1:${taken}`),
      );
    } finally {
      squatter.close();
    }
  });

  it('starts with no socket when given no listen addresses, and serves the ones added with listenOn', async () => {
    const { handle } = await start({ listen: [] });
    assert.deepEqual(handle.addresses(), []);
    const socket = await handle.listenOn('127.0.0.1', 0);
    assert.deepEqual(handle.addresses(), [{ address: '127.0.0.1', port: socket.port, family: 'IPv4' }]);
    await socket.close();
    assert.deepEqual(handle.addresses(), []);
    await assert.rejects(handle.listenOn('192.0.2.254', 0), (e: unknown) => e instanceof CamshimError && e.code === 'NTP_ADDRESS_UNAVAILABLE');
    await handle.close();
  });
});

describe('NTP server clock states', () => {
  it('re-checks host status on its timer and logs state changes', async () => {
    let status: HostSync = synced();
    const timers = new ManualTimers();
    const clock = new FakeClock();
    const { handle, port, lines } = await start({}, { timers, clock, syncStatus: async () => status, statusIntervalMs: 64_000 });
    try {
      assert.equal(handle.stats().state, 'synchronised');
      status = unsynced();
      timers.fire(64_000);
      await new Promise((r) => setImmediate(r));
      assert.equal(handle.stats().state, 'local');
      const change = lines.find((l) => String(l.msg) === 'NTP clock state synchronised -> local');
      assert.ok(change);
      assert.equal(change.level, 40);
      assert.deepEqual([change.event, change.state, change.previous], ['ntp-clock', 'local', 'synchronised']);
      const h = decodeHeader((await exchange('127.0.0.1', port(), request())) ?? Buffer.alloc(48));
      assert.deepEqual([h.stratum, h.leap, h.refId.toString(16)], [10, 0, '4c4f434c']);
      assert.equal(handle.stats().stateChanges, 1);
    } finally {
      await handle.close();
    }
  });

  it('on a clock step into the implausible past: logs the step and answers LI=3, stratum 16', async () => {
    const timers = new ManualTimers();
    const clock = new FakeClock();
    const { handle, port, lines } = await start({}, { timers, clock });
    try {
      clock.ns = BigInt(NOT_BEFORE.getTime() - 86_400_000) * 1_000_000n;
      clock.step = { stepped: true, offsetNs: -1n, anchor: { hr: 0n, wallNs: clock.ns, uncertaintyNs: 100n, method: 'tick' } };
      timers.fire(1_000);
      assert.equal(handle.stats().clockSteps, 1);
      assert.equal(handle.stats().state, 'unsynchronised');
      assert.ok(lines.some((l) => String(l.msg).startsWith('wall clock stepped')));
      const h = decodeHeader((await exchange('127.0.0.1', port(), request())) ?? Buffer.alloc(48));
      assert.deepEqual([h.leap, h.stratum, h.referenceTs], [3, 16, 0n]);
    } finally {
      await handle.close();
    }
  });

  it('never serves an implausible time even between checks', async () => {
    const clock = new FakeClock();
    const { handle, port } = await start({}, { clock });
    try {
      clock.ns = 1_000_000_000n; // 1970, no step check has run
      const h = decodeHeader((await exchange('127.0.0.1', port(), request())) ?? Buffer.alloc(48));
      assert.equal(h.leap, 3);
      assert.equal(handle.stats().state, 'unsynchronised');
    } finally {
      await handle.close();
    }
  });
});

describe('NTP server logging under a flood of new clients', () => {
  it('caps "new NTP client" lines and reports how many were held back', async () => {
    let ms = 0;
    const clock = new FakeClock();
    // The key is the source address: send from 127.0.0.1..30 (all loopback) to the server on 127.0.0.1.
    const cap = captureLogger('info');
    const handle = await startNtpServer(testOptions(), {
      logger: cap.logger,
      classify: allowAll,
      syncStatus: fixedStatus(synced()),
      timers: new ManualTimers(),
      clock,
      nowMs: () => ms,
    });
    try {
      const port = handle.addresses()[0]?.port ?? 0;
      for (let i = 1; i <= 30; i++) {
        const src = `127.0.0.${i}`;
        const socket = dgram.createSocket('udp4');
        await new Promise<void>((r) => socket.bind(0, src, () => r()));
        const reply = await new Promise<Buffer | null>((resolve) => {
          const timer = setTimeout(() => resolve(null), 1000);
          socket.on('message', (m) => {
            clearTimeout(timer);
            resolve(m);
          });
          socket.send(request(), port, '127.0.0.1');
        });
        socket.close();
        assert.ok(reply, `no reply to ${src}`);
      }
      let lines = cap.lines.filter((l) => l.msg === 'new NTP client');
      assert.equal(lines.length, 20);
      ms += 3_001; // one token back
      const last = await exchange('127.0.0.1', port, request()); // known client: no line
      assert.ok(last);
      const socket = dgram.createSocket('udp4');
      await new Promise<void>((r) => socket.bind(0, '127.0.0.99', () => r()));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        socket.on('message', () => {
          clearTimeout(timer);
          resolve();
        });
        socket.send(request(), port, '127.0.0.1');
      });
      socket.close();
      lines = cap.lines.filter((l) => l.msg === 'new NTP client');
      assert.equal(lines.length, 21);
      assert.equal(lines[20]?.suppressedNewClients, 10);
      assert.equal(handle.stats().clients, 31);
    } finally {
      await handle.close();
    }
  });
});
