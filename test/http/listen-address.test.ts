import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseListenAddress } from '../../src/config/http-section.js';
import { loadConfig } from '../../src/config/load-config.js';

test('http.listen takes ADDR:PORT and [IPv6]:PORT, and nothing else', () => {
  assert.deepEqual(parseListenAddress('127.0.0.1:9153', 1), { address: '127.0.0.1', port: 9153 });
  assert.deepEqual(parseListenAddress('[::1]:9153', 1), { address: '::1', port: 9153 });
  assert.deepEqual(parseListenAddress('[0:0::1]:80', 1), { address: '::1', port: 80 });
  assert.equal(parseListenAddress('::1:9153', 1), 'not ADDR:PORT');
  assert.equal(parseListenAddress('localhost:9153', 1), 'not an IP address (IPv6 in brackets)');
  assert.equal(parseListenAddress('[127.0.0.1]:9153', 1), 'not an IP address (IPv6 in brackets)');
  assert.equal(parseListenAddress('127.0.0.1:0', 1), 'port out of range');
  assert.deepEqual(parseListenAddress('127.0.0.1:0', 0), { address: '127.0.0.1', port: 0 });
  assert.equal(parseListenAddress('127.0.0.1:70000', 1), 'port out of range');
  assert.equal(parseListenAddress('127.0.0.1', 1), 'not ADDR:PORT');
});

test('the http section: off and loopback-only by default; a bad value names its path', async () => {
  const defaults = await loadConfig(undefined);
  assert.equal(defaults.config.http.listen, undefined);
  assert.deepEqual(defaults.config.http.allow, ['127.0.0.0/8', '::1/128']);
  const flagged = await loadConfig(undefined, { http: '[::1]:9100' });
  assert.deepEqual(flagged.config.http.listen, { address: '::1', port: 9100 });
  await assert.rejects(loadConfig(undefined, { http: 'nope' }), /--http: expected an address and port such as 127\.0\.0\.1:9153/);
});
