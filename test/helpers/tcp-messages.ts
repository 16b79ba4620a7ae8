/**
 * DNS over TCP, reading side: a stream carries messages each behind a two-byte big-endian length
 * (RFC 1035 §4.2.2; RFC 7766 lets a peer pipeline many in one write or split one across writes).
 * Test peers (fake upstreams, clients counting answers) read streams through this one splitter.
 */

/**
 * Returns a 'data' listener that calls `onMessage` once per complete message, in order, keeping a
 * partial frame until the rest arrives. Each message is a copy, so a caller may keep it.
 */
export function tcpMessages(onMessage: (message: Buffer) => void): (chunk: Buffer) => void {
  let buffered: Buffer = Buffer.alloc(0);
  return (chunk) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    let offset = 0;
    while (buffered.length - offset >= 2) {
      const end = offset + 2 + buffered.readUInt16BE(offset);
      if (buffered.length < end) break;
      const message = Buffer.from(buffered.subarray(offset + 2, end));
      offset = end;
      onMessage(message);
    }
    buffered = offset === buffered.length ? Buffer.alloc(0) : Buffer.from(buffered.subarray(offset));
  };
}
