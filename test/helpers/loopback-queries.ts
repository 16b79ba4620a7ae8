import dgram from 'node:dgram';
import { QType } from '../../src/wire/constants.js';
import { encodeQuery } from '../../src/wire/encode-query.js';

/** Sends one A query per name from the loopback address `from`, one after another, each waited for (1 s at most); returns how many were answered. */
export async function queriesFrom(from: string, port: number, names: readonly string[]): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind({ address: from, port: 0 }, resolve));
  let answered = 0;
  try {
    for (const [index, name] of names.entries()) {
      const reply = await new Promise<Buffer | null>((resolve) => {
        const timer = setTimeout(() => { socket.off('message', onMessage); resolve(null); }, 1000);
        const onMessage = (message: Buffer): void => { clearTimeout(timer); socket.off('message', onMessage); resolve(message); };
        socket.on('message', onMessage);
        socket.send(encodeQuery(name, QType.A, { id: index & 0xffff }), port, '127.0.0.1');
      });
      if (reply !== null) answered++;
    }
  } finally {
    socket.close();
  }
  return answered;
}

/** One NTPv4 client request from 127.0.0.1; resolves with the reply, or null after 1 s. */
export async function ntpRequest(port: number): Promise<Buffer | null> {
  const socket = dgram.createSocket('udp4');
  const request = Buffer.alloc(48);
  request[0] = 0x23; // LI 0, version 4, mode 3 (client)
  try {
    return await new Promise<Buffer | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), 1000);
      socket.once('message', (message) => { clearTimeout(timer); resolve(message); });
      socket.send(request, port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}
