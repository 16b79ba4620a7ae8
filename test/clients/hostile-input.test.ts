import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LEASE_FORMATS, LEASE_PARSERS } from '../../src/clients/lease-formats.js';
import { parseIpNeigh, parseProcNetArp } from '../../src/clients/neighbours.js';
import { seededRandom } from '../helpers/prng.js';
import { fixture } from './fixtures.js';

const FIXTURE_OF = { dnsmasq: 'dnsmasq.leases', odhcpd: 'odhcpd-state', 'isc-dhcpd': 'dhcpd.leases', kea: 'kea-leases4.csv' } as const;

/** Mutations of a real fixture: byte flips, cut lines, spliced lines, random bytes. */
function mutate(text: string, random: () => number): string {
  const chars = [...text];
  const edits = 1 + Math.floor(random() * 8);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(random() * Math.max(1, chars.length));
    const kind = Math.floor(random() * 4);
    if (kind === 0) chars[at] = String.fromCharCode(Math.floor(random() * 0x3000));
    else if (kind === 1) chars.splice(at, Math.floor(random() * 40));
    else if (kind === 2) chars.splice(at, 0, ...'{}";\\#,\n\t '.charAt(Math.floor(random() * 11)).repeat(1 + Math.floor(random() * 3)));
    else chars.splice(at, 0, ...chars.slice(Math.floor(random() * chars.length), Math.floor(random() * chars.length)));
  }
  return chars.join('');
}

describe('hostile lease and neighbour input', () => {
  it('no parser throws on 2,000 mutated fixtures each; every entry keeps its invariants', () => {
    const random = seededRandom(17);
    for (const format of LEASE_FORMATS) {
      const base = fixture(FIXTURE_OF[format]);
      for (let i = 0; i < 2000; i++) {
        const result = LEASE_PARSERS[format](mutate(base, random));
        assert.ok(result.skipped >= 0 && result.firstSkipped.length <= 5);
        for (const e of result.entries) {
          assert.ok(/^[0-9.]+$|:/.test(e.ip), `${format}: ip ${e.ip}`);
          if (e.mac !== undefined) assert.match(e.mac, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
          if (e.name !== undefined) assert.ok(e.name.length > 0 && [...e.name].length <= 253 && !/[\u0000-\u001f\u007f-\u009f]/.test(e.name), `${format}: name ${JSON.stringify(e.name)}`);
          if (e.expires !== undefined) assert.ok(Number.isFinite(e.expires) && e.expires >= 0);
        }
      }
    }
  });

  it('binary junk, a 1 MB line and an empty file are skipped, not fatal', () => {
    const random = seededRandom(99);
    const junk = Buffer.from(Array.from({ length: 65_536 }, () => Math.floor(random() * 256))).toString('latin1');
    const longLine = `1764900000 5c:e9:31:aa:bb:01 192.168.20.31 ${'x'.repeat(1_000_000)} *\n`;
    for (const format of LEASE_FORMATS) {
      for (const text of [junk, longLine, '', '\n\n\n']) assert.doesNotThrow(() => LEASE_PARSERS[format](text), format);
    }
    assert.equal(LEASE_PARSERS.dnsmasq(longLine).entries[0]?.name?.length, 253);
    assert.doesNotThrow(() => parseProcNetArp(junk));
    assert.doesNotThrow(() => parseIpNeigh(junk));
  });
});
