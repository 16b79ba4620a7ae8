import pino, { type Logger } from 'pino';
import type { QueryEvent } from './query-events.js';

/** pino's internals this writer reads, through its public `pino.symbols`. */
interface PinoInternals {
  [key: symbol]: unknown;
}

const INFO = 30;

/**
 * Writes a query event as the same JSON line `logger.info(event, event.event)` would, built by
 * hand. The sinkhole log is written once per answered query; pino's generic serialiser cost
 * ~3 µs a line here, this ~1 µs. The line goes to the logger's own destination (the same stream,
 * in order with every other line), with its level, timestamp function and bindings (service,
 * worker), so the two paths cannot drift: test/log/query-line.test.ts compares them byte for byte.
 * Falls back to pino itself when the logger is not a plain pino logger writing strings.
 */
export function queryLineWriter(logger: Logger): (event: QueryEvent) => void {
  const internals = logger as unknown as PinoInternals;
  const stream = internals[pino.symbols.streamSym] as { write?: (line: string) => unknown } | undefined;
  const levelPrefix = (internals[pino.symbols.lsCacheSym] as Record<number, string> | undefined)?.[INFO];
  const time = internals[pino.symbols.timeSym];
  const chindings = internals[pino.symbols.chindingsSym];
  const messageKey = internals[pino.symbols.messageKeySym];
  const hasFormatter = typeof (internals[pino.symbols.formattersSym] as { log?: unknown } | undefined)?.log === 'function';
  const hasMixin = typeof internals[pino.symbols.mixinSym] === 'function';
  const hooks = internals[pino.symbols.hooksSym] as { logMethod?: unknown; streamWrite?: unknown } | undefined;
  const hasHooks = typeof hooks?.logMethod === 'function' || typeof hooks?.streamWrite === 'function';
  const end = internals[pino.symbols.endSym];
  if (stream === undefined || typeof stream.write !== 'function' || typeof levelPrefix !== 'string' || typeof time !== 'function'
    || typeof chindings !== 'string' || messageKey !== 'msg' || typeof end !== 'string' || hasFormatter || hasMixin || hasHooks) {
    return (event) => { logger.info(event, event.event); };
  }
  const write = stream.write.bind(stream);
  const timeFragment = time as () => string;
  return (event) => {
    if (logger.levelVal > INFO) return;
    write(`${levelPrefix}${timeFragment()}${chindings},"event":${jsonString(event.event)},"client":${jsonString(event.client)},"name":${jsonString(event.name)},"type":${jsonString(event.type)},"group":${jsonString(event.group)},"list":${jsonOrNull(event.list)},"rule":${jsonOrNull(event.rule)},"line":${event.line === null ? 'null' : String(event.line)},"answer":${jsonString(event.answer)},"msg":${jsonString(event.event)}${end}`);
  };
}

/** A JSON string literal; the common case (no quote, backslash or control character) is one scan. */
export function jsonString(text: string): string {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || code === 0x22 || code === 0x5c || (code >= 0xd800 && code <= 0xdfff)) return JSON.stringify(text);
  }
  return `"${text}"`;
}

function jsonOrNull(text: string | null): string {
  return text === null ? 'null' : jsonString(text);
}
