import http from 'node:http';
import type { Logger } from 'pino';
import { CamshimError } from '../errors.js';
import type { PageReply } from '../dashboard/routes.js';
import { CidrSet } from '../net/cidr-set.js';
import type { Health } from './health.js';

/**
 * The admin listener: `GET /metrics` (Prometheus text) and `GET /healthz` (200 "ok", or 503 with
 * one reason a line). A client outside `allow` gets 403 whatever it asks: the figures name
 * cameras, lists and upstreams. Besides those only the read-only dashboard (`page`, when given),
 * and a slow read never holds up DNS (it runs on the same event loop, but reads counters and
 * bounded summaries only).
 */
export interface HttpRoutes {
  metrics(): Promise<{ readonly contentType: string; readonly body: string }>;
  health(): Health;
  /** The dashboard's paths (src/dashboard/routes.ts): an answer, or undefined for a path it does not serve. */
  page?(path: string, query: URLSearchParams): Promise<PageReply | undefined>;
}

export interface HttpListener {
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startHttpListener(listen: { readonly address: string; readonly port: number }, allow: readonly string[], routes: HttpRoutes, logger: Logger): Promise<HttpListener> {
  const allowed = new CidrSet(allow);
  const server = http.createServer((request, response) => {
    const reply = (status: number, body: string, contentType = 'text/plain; charset=utf-8'): void => {
      response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
      response.end(request.method === 'HEAD' ? undefined : body);
    };
    if (!allowed.has(request.socket.remoteAddress ?? '')) { reply(403, 'forbidden: not in http.allow\n'); return; }
    if (request.method !== 'GET' && request.method !== 'HEAD') { response.setHeader('allow', 'GET, HEAD'); reply(405, 'method not allowed\n'); return; }
    // Split by hand: a request target is any bytes a client sends, and URL parsing throws on some.
    const target = request.url ?? '/';
    const mark = target.indexOf('?');
    const path = mark < 0 ? target : target.slice(0, mark);
    if (path === '/healthz') {
      const health = routes.health();
      reply(health.healthy ? 200 : 503, health.healthy ? 'ok\n' : `${health.reasons.join('\n')}\n`);
      return;
    }
    if (path === '/metrics') {
      routes.metrics().then(({ contentType, body }) => { reply(200, body, contentType); }, (error: unknown) => {
        logger.error({ event: 'metrics-error', error: (error as Error).message }, `metrics could not be read: ${(error as Error).message}`);
        reply(500, `metrics could not be read: ${(error as Error).message}\n`);
      });
      return;
    }
    const notFound = (): void => reply(404, `not found: /metrics${routes.page === undefined ? '' : ', /dashboard/'} and /healthz are served here\n`);
    if (routes.page === undefined) { notFound(); return; }
    routes.page(path, new URLSearchParams(mark < 0 ? '' : target.slice(mark + 1))).then((page) => {
      if (page === undefined) { notFound(); return; }
      response.writeHead(page.status, page.headers);
      response.end(request.method === 'HEAD' ? undefined : page.body);
    }, (error: unknown) => {
      logger.error({ event: 'dashboard-error', path, error: (error as Error).message }, `dashboard could not answer ${path}: ${(error as Error).message}`);
      reply(500, 'the dashboard could not answer; the reason is in camshim\'s log\n');
    });
  });
  // Idle keep-alive connections must not hold the daemon open at stop.
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(new CamshimError('HTTP_BIND', `cannot serve HTTP on ${listen.address}:${listen.port}: ${error.code ?? error.message}`, { address: listen.address, port: listen.port }, { cause: error }));
    });
    server.listen(listen.port, listen.address, () => resolve());
  });
  const bound = server.address() as { address: string; port: number };
  const url = `http://${bound.address.includes(':') ? `[${bound.address}]` : bound.address}:${bound.port}`;
  logger.info({ event: 'http-listen', url, allow }, `serving ${url}/metrics${routes.page === undefined ? '' : `, ${url}/dashboard/`} and ${url}/healthz`);
  return {
    address: bound.address,
    port: bound.port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
