import { CamshimError } from '../../errors.js';

/**
 * One list download over HTTP(S) with Node's built-in fetch (undici): conditional request,
 * time limits, a size cap, redirects followed by hand (so their number is bounded and an
 * https list cannot be redirected to plain http), and retries with doubling waits for the
 * failures that pass (network errors, timeouts, 5xx and 429). TLS certificates are verified:
 * nothing here turns that off.
 */

export interface FetchSettings {
  /** Until the response headers arrive (connect, TLS and the server's first answer). */
  readonly connectTimeoutMs: number;
  /** For the whole download, body included. */
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly maxRedirects: number;
  readonly retries: number;
  /** The first wait before a retry; each further one doubles. */
  readonly retryBaseMs: number;
  readonly userAgent: string;
}

export interface Validators {
  readonly etag?: string | undefined;
  readonly lastModified?: string | undefined;
}

export type FetchOutcome =
  | { readonly status: 'unchanged'; readonly attempts: number }
  | { readonly status: 'fetched'; readonly body: Uint8Array; readonly contentType: string; readonly etag?: string; readonly lastModified?: string; readonly finalUrl: string; readonly attempts: number };

export interface FetchHooks {
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Bytes received so far, and the total when the server said it. */
  readonly onProgress?: (received: number, total: number | undefined) => void;
}

/** A failure worth another attempt. */
class Transient extends Error {}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => { setTimeout(resolve, ms); });

/** Downloads `url`; throws LIST_FETCH with the reason when every attempt failed. */
export async function fetchList(url: string, validators: Validators, settings: FetchSettings, hooks: FetchHooks = {}): Promise<FetchOutcome> {
  const sleep = hooks.sleep ?? realSleep;
  let lastError = '';
  for (let attempt = 1; attempt <= settings.retries + 1; attempt++) {
    if (attempt > 1) await sleep(settings.retryBaseMs * 2 ** (attempt - 2));
    try {
      const outcome = await fetchOnce(url, validators, settings, hooks);
      return { ...outcome, attempts: attempt } as FetchOutcome;
    } catch (error) {
      if (!(error instanceof Transient)) throw error;
      lastError = error.message;
    }
  }
  const tries = settings.retries + 1;
  throw new CamshimError('LIST_FETCH', `${lastError}${tries > 1 ? ` (${tries} attempts)` : ''}`, { url });
}

type Once = { status: 'unchanged' } | Omit<Extract<FetchOutcome, { status: 'fetched' }>, 'attempts'>;

async function fetchOnce(startUrl: string, validators: Validators, settings: FetchSettings, hooks: FetchHooks): Promise<Once> {
  const doFetch = hooks.fetch ?? fetch;
  const total = new AbortController();
  let phase = 'the download';
  const totalTimer = setTimeout(() => total.abort(), settings.timeoutMs);
  try {
    let url = new URL(startUrl);
    for (let redirects = 0; ; redirects++) {
      const headers: Record<string, string> = { 'user-agent': settings.userAgent, accept: 'text/plain, */*;q=0.5' };
      if (validators.etag !== undefined) headers['if-none-match'] = validators.etag;
      if (validators.lastModified !== undefined) headers['if-modified-since'] = validators.lastModified;
      const headed = new AbortController();
      const onTotal = (): void => headed.abort();
      total.signal.addEventListener('abort', onTotal);
      phase = 'the response headers';
      const headerTimer = setTimeout(() => headed.abort(), settings.connectTimeoutMs);
      let response: Response;
      try {
        response = await doFetch(url, { headers, redirect: 'manual', signal: headed.signal });
      } catch (error) {
        if (headed.signal.aborted) {
          throw new Transient(total.signal.aborted ? `no complete answer within ${settings.timeoutMs} ms` : `no response headers within ${settings.connectTimeoutMs} ms`);
        }
        throw new Transient(`cannot reach ${url.host}: ${causeOf(error)}`);
      } finally {
        clearTimeout(headerTimer);
      }
      phase = 'the download';
      if (response.status >= 300 && response.status < 400 && response.status !== 304) {
        await response.body?.cancel();
        const location = response.headers.get('location');
        if (location === null) throw new CamshimError('LIST_FETCH', `HTTP ${response.status} without a Location header`);
        if (redirects >= settings.maxRedirects) throw new CamshimError('LIST_FETCH', `more than ${settings.maxRedirects} redirects`);
        const next = new URL(location, url);
        if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new CamshimError('LIST_FETCH', `redirected to ${next.protocol} URL`);
        if (url.protocol === 'https:' && next.protocol === 'http:') throw new CamshimError('LIST_FETCH', `refusing a redirect from https to plain http (${next.href})`);
        url = next;
        continue;
      }
      if (response.status === 304) {
        await response.body?.cancel();
        return { status: 'unchanged' };
      }
      if (response.status >= 500 || response.status === 429) {
        await response.body?.cancel();
        throw new Transient(`HTTP ${response.status} ${response.statusText}`.trim());
      }
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new CamshimError('LIST_FETCH', `HTTP ${response.status} ${response.statusText}`.trim());
      }
      const body = await readCapped(response, settings.maxBytes, hooks.onProgress, total.signal, settings.timeoutMs);
      const etag = response.headers.get('etag');
      const lastModified = response.headers.get('last-modified');
      return {
        status: 'fetched', body, contentType: response.headers.get('content-type') ?? '', finalUrl: url.href,
        ...(etag === null ? {} : { etag }), ...(lastModified === null ? {} : { lastModified }),
      };
    }
  } catch (error) {
    if (error instanceof CamshimError || error instanceof Transient) throw error;
    if (total.signal.aborted) throw new Transient(`${phase} took longer than ${settings.timeoutMs} ms`);
    throw new Transient(`download failed: ${causeOf(error)}`);
  } finally {
    clearTimeout(totalTimer);
  }
}

/** The body, refused as soon as it passes `maxBytes` (declared or actual). */
async function readCapped(response: Response, maxBytes: number, onProgress: FetchHooks['onProgress'], signal: AbortSignal, timeoutMs: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  const totalSize = Number.isFinite(declared) ? declared : undefined;
  if (totalSize !== undefined && totalSize > maxBytes) {
    await response.body?.cancel();
    throw new CamshimError('LIST_FETCH', `the list is ${totalSize} bytes, over the ${maxBytes}-byte limit (lists.remote.maxBytes)`);
  }
  const reader = response.body?.getReader();
  if (reader === undefined) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let received = 0;
  const onAbort = (): void => { reader.cancel().catch(() => undefined); };
  signal.addEventListener('abort', onAbort);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (signal.aborted) throw new Transient(`the download took longer than ${timeoutMs} ms`);
      if (done) break;
      received += value.length;
      if (received > maxBytes) {
        await reader.cancel();
        throw new CamshimError('LIST_FETCH', `the list passed the ${maxBytes}-byte limit (lists.remote.maxBytes)`);
      }
      chunks.push(value);
      onProgress?.(received, totalSize);
    }
  } catch (error) {
    if (signal.aborted && !(error instanceof CamshimError)) throw new Transient(`the download took longer than ${timeoutMs} ms`);
    throw error;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  return Buffer.concat(chunks, received);
}

/** undici wraps the socket error in `cause`: that is the part a user can act on. */
function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code !== undefined) return `${cause.code}${cause.message === undefined ? '' : ` (${cause.message})`}`;
  return cause?.message ?? (error as Error).message;
}
