import { CLASS_IN, FLAG_RD } from './constants.js';
import { encodeName } from './response.js';

/** Builds a standard query (RD set, optional EDNS OPT). Used by `camshim query`, probes and tests. */
export function encodeQuery(name: string, qtype: number, options: { id?: number; edns?: { payloadSize: number; version?: number; dnssecOk?: boolean } } = {}): Buffer {
  const qname = encodeName(name);
  const optLength = options.edns === undefined ? 0 : 11;
  const out = Buffer.alloc(12 + qname.length + 4 + optLength);
  out.writeUInt16BE(options.id ?? 0, 0);
  out.writeUInt16BE(FLAG_RD, 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(options.edns === undefined ? 0 : 1, 10);
  qname.copy(out, 12);
  let offset = 12 + qname.length;
  out.writeUInt16BE(qtype, offset);
  out.writeUInt16BE(CLASS_IN, offset + 2);
  offset += 4;
  if (options.edns !== undefined) {
    out[offset] = 0;
    out.writeUInt16BE(41, offset + 1);
    out.writeUInt16BE(options.edns.payloadSize, offset + 3);
    out[offset + 5] = 0;
    out[offset + 6] = options.edns.version ?? 0;
    out.writeUInt16BE(options.edns.dnssecOk === true ? 0x8000 : 0, offset + 7);
    out.writeUInt16BE(0, offset + 9);
  }
  return out;
}
