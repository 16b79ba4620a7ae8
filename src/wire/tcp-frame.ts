/** A DNS message framed for TCP: its length as two bytes, then the message (RFC 1035 4.2.2). */
export function tcpFrame(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(2 + message.length);
  frame.writeUInt16BE(message.length, 0);
  frame.set(message, 2);
  return frame;
}
