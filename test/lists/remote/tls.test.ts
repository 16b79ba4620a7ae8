import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { configFrom } from '../../../src/config/load-config.js';
import { fetchList } from '../../../src/lists/remote/fetch-list.js';
import { fetchSettingsOf } from '../../../src/lists/remote/refresh-source.js';
import { tempDir } from '../../helpers/daemon.js';

test('TLS is verified: a self-signed certificate fails the download', async (t) => {
  const dir = await tempDir();
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  try {
    await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
  } catch (error) {
    t.skip(`openssl cannot make a test certificate: ${(error as Error).message}`);
    return;
  }
  const server = createServer({ key: await readFile(key), cert: await readFile(cert) }, (_request, response) => { response.end('cloud.vendor.example\n'); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const settings = { ...fetchSettingsOf(configFrom({}).lists.remote, 10), retries: 0 };
    await assert.rejects(fetchList(`https://127.0.0.1:${port}/list`, {}, settings), (error: Error) => {
      assert.match(error.message, /cannot reach 127\.0\.0\.1:\d+: (DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)/);
      return true;
    });
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
