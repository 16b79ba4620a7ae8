import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tcpMessages } from './tcp-messages.js';

const frame = (body: number[]): Buffer => Buffer.from([body.length >> 8, body.length & 0xff, ...body]);

test('messages pipelined in one chunk, split across chunks, or fed a byte at a time come out whole and in order', () => {
  const messages = [[1, 2, 3], [], Array.from({ length: 300 }, (_, i) => i & 0xff), [9]];
  const stream = Buffer.concat(messages.map(frame));
  for (const chunkSize of [stream.length, 1, 2, 3, 7, 301]) {
    const seen: number[][] = [];
    const feed = tcpMessages((message) => seen.push([...message]));
    for (let i = 0; i < stream.length; i += chunkSize) feed(stream.subarray(i, i + chunkSize));
    assert.deepEqual(seen, messages, `chunks of ${chunkSize}`);
  }
});

test('a partial frame is held, not delivered, and a kept message is not overwritten by later chunks', () => {
  const seen: Buffer[] = [];
  const feed = tcpMessages((message) => seen.push(message));
  const chunk = Buffer.concat([frame([7, 7]), frame([8, 8, 8]).subarray(0, 3)]);
  feed(chunk);
  assert.deepEqual(seen.map((m) => [...m]), [[7, 7]]);
  chunk.fill(0);
  feed(Buffer.from([8, 8]));
  assert.deepEqual(seen.map((m) => [...m]), [[7, 7], [8, 8, 8]]);
});
