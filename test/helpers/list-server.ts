import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What one path of the test list server answers. */
export interface Route {
  readonly status?: number;
  readonly body?: string | Buffer;
  readonly contentType?: string;
  /** Sent as ETag; a request with a matching If-None-Match gets 304. */
  readonly etag?: string;
  readonly location?: string;
  /** Wait before the headers. */
  readonly delayMs?: number;
  /** Send the body in pieces with this wait between them (a slow download). */
  readonly trickleMs?: number;
  /** Leave out Content-Length (chunked), so a size cap must count the bytes. */
  readonly chunked?: boolean;
}

export interface ListServer {
  readonly base: string;
  /** Requests per path, and the headers of the last one. */
  readonly hits: Map<string, number>;
  readonly lastHeaders: Map<string, IncomingMessage['headers']>;
  set(path: string, route: Route): void;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1, port 0, answering each path from a table the test changes as it goes. */
export async function startListServer(routes: Record<string, Route> = {}): Promise<ListServer> {
  const table = new Map(Object.entries(routes));
  const hits = new Map<string, number>();
  const lastHeaders = new Map<string, IncomingMessage['headers']>();
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number): Promise<void> => new Promise((resolve) => { const t = setTimeout(() => { timers.delete(t); resolve(); }, ms); timers.add(t); });
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    void (async () => {
      const path = new URL(request.url ?? '/', 'http://x').pathname;
      hits.set(path, (hits.get(path) ?? 0) + 1);
      lastHeaders.set(path, request.headers);
      const route = table.get(path) ?? { status: 404, body: 'not found' };
      if (route.delayMs !== undefined) await later(route.delayMs);
      if (response.destroyed) return;
      if (route.etag !== undefined && request.headers['if-none-match'] === route.etag) {
        response.writeHead(304, { etag: route.etag }).end();
        return;
      }
      const body = Buffer.from(route.body ?? '');
      const headers: Record<string, string> = { 'content-type': route.contentType ?? 'text/plain' };
      if (route.etag !== undefined) headers.etag = route.etag;
      if (route.location !== undefined) headers.location = route.location;
      if (route.chunked !== true && route.trickleMs === undefined) headers['content-length'] = String(body.length);
      response.writeHead(route.status ?? 200, headers);
      if (route.trickleMs === undefined) { response.end(body); return; }
      for (let at = 0; at < body.length && !response.destroyed; at += 64) {
        response.write(body.subarray(at, at + 64));
        await later(route.trickleMs);
      }
      response.end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    hits, lastHeaders,
    set: (path, route) => { table.set(path, route); },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A block list of `count` names under `zone`, one per line. */
export function listOf(count: number, zone: string, header = '# test list'): string {
  const lines = [header];
  for (let i = 0; i < count; i++) lines.push(`host${i}.${zone}`);
  return `${lines.join('\n')}\n`;
}
