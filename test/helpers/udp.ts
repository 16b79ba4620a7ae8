import dgram from 'node:dgram';

/**
 * Sends one datagram and resolves with the reply, or null after `timeoutMs` of silence. With
 * `source`, from that local address (another loopback address is another client to the daemon).
 */
export function udpExchange(address: string, port: number, packet: Uint8Array, timeoutMs = 1000, source?: string): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
    const send = (): void => {
      const timer = setTimeout(() => { socket.close(); resolve(null); }, timeoutMs);
      socket.on('message', (message) => { clearTimeout(timer); socket.close(); resolve(message); });
      socket.send(packet, port, address);
    };
    if (source === undefined) send();
    else socket.bind(0, source, send);
  });
}
