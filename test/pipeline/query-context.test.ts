import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QType } from '../../src/wire/constants.js';
import { encodeQuery } from '../../src/wire/encode-query.js';
import { decodeQuery } from '../../src/wire/query.js';
import { DomainTable } from '../../src/lists/domain-table.js';
import { buildDomainTable } from '../../src/lists/domain-table-builder.js';
import type { ClientGroup } from '../../src/pipeline/client-groups.js';
import { LazyQueryContext } from '../../src/pipeline/query-context.js';

/** A real table whose lookups are counted. */
function countingTable(): { table: DomainTable; calls: () => number } {
  const table = buildDomainTable([{ name: 'cloud.vendor.example', action: 'block', scope: 'subtree', list: 0, line: 1 }]);
  let calls = 0;
  const match = table.match.bind(table);
  table.match = (...args) => { calls++; return match(...args); };
  return { table, calls: () => calls };
}

const group = { name: 'cameras', filter: { lists: new Uint8Array([1]), redirects: true } } as unknown as ClientGroup;
const client = { address: '192.168.20.31', port: 5000, transport: 'udp' as const, localAddress: undefined };

function context(table: DomainTable, allowed: boolean): LazyQueryContext {
  const packet = encodeQuery('a.cloud.vendor.example', QType.A);
  const decoded = decodeQuery(packet);
  if (decoded.kind !== 'query') throw new Error('query expected');
  return new LazyQueryContext(packet, decoded.query, client, allowed, group, table, 512);
}

test('the list match is made once, when a stage first asks, and never for a client outside the access networks', () => {
  const { table, calls } = countingTable();
  const served = context(table, true);
  assert.equal(calls(), 0, 'no lookup before a stage asks (a rate-limited packet never does)');
  assert.ok(served.match.block >= 0);
  assert.equal(served.match.blockSuffix, 2);
  assert.equal(calls(), 1, 'later stages reuse the first lookup');

  const refused = context(table, false);
  assert.equal(refused.match.block, -1);
  assert.equal(calls(), 1);
});
