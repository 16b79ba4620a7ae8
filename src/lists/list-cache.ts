import { createHash } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/config-schema.js';
import type { Problem } from '../errors.js';
import { writeFileAtomic } from './atomic-file.js';
import { readFileBigStat } from './big-array.js';
import { DomainTable } from './domain-table.js';
import type { ListInfo } from './list-info.js';

/**
 * The compiled list cache: the domain table's arrays and the list metadata in one file, so a
 * restart with a million names takes tens of milliseconds instead of re-parsing the text.
 *
 * Layout: 16-byte magic, u32 format, u32 header length, header JSON, then records, tags and
 * offsets, each 8-byte aligned. The header holds the fingerprint of everything the list set
 * was built from (format, config bits, each source's path, size, mtime and inode) and a
 * checksum of the arrays. Any mismatch, short file or bad checksum is a miss: the caller
 * loads the text and writes a fresh cache. A cache can make loading faster, never different.
 */

export const CACHE_FORMAT = 2;
export const CACHE_FILE = 'lists.cache';
const MAGIC = Buffer.from('camshim-lists\n\0\0', 'latin1');
const PRELUDE = MAGIC.length + 8;

export interface SourceStamp {
  readonly file: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
}

/** What a cached list set restores (everything but load time and date). */
export interface CachedLists {
  readonly table: DomainTable;
  readonly lists: readonly ListInfo[];
  readonly errors: readonly Problem[];
  readonly warnings: readonly Problem[];
}

interface CacheHeader {
  fingerprint: string;
  nameCount: number;
  ruleCount: number;
  recordsLength: number;
  tagsLength: number;
  offsetsLength: number;
  checksum: string;
  lists: (Omit<ListInfo, 'modifiedAt'> & { modifiedAt: string | null })[];
  errors: Problem[];
  warnings: Problem[];
}

export type CacheRead = { readonly hit: CachedLists } | { readonly miss: string };

/** Size, mtime and inode of each source; a file that cannot be stat'ed makes the list set uncacheable. */
export async function stampSources(files: readonly string[]): Promise<SourceStamp[] | undefined> {
  try {
    return await Promise.all(files.map(async (file) => {
      const info = await stat(file);
      return { file, size: info.size, mtimeMs: info.mtimeMs, ino: info.ino };
    }));
  } catch {
    return undefined;
  }
}

/** Hash of everything a list set depends on: the format, the config bits that shape it, and each source. */
export function fingerprintOf(config: Config, stamps: readonly SourceStamp[]): string {
  const basis = {
    format: CACHE_FORMAT,
    bundled: config.lists.bundled,
    sources: config.lists.sources,
    neverBlockOverride: config.lists.neverBlockOverride,
    ntpNames: config.ntpRedirect.names,
    stamps,
  };
  return createHash('sha256').update(JSON.stringify(basis)).digest('hex');
}

/**
 * A fast 64-bit checksum over the arrays (two 32-bit lanes over 32-bit words). It guards
 * against torn or damaged files, not against an attacker: whoever can write the cache
 * directory can write the lists too.
 */
function checksum(parts: readonly Uint8Array[]): string {
  let a = 0x811c9dc5;
  let b = 0x2545f491;
  for (const part of parts) {
    const words = part.length >>> 2;
    const view = new Uint32Array(part.buffer, part.byteOffset, words);
    for (let i = 0; i < words; i++) {
      const word = view[i]!;
      a = Math.imul(a ^ word, 0x01000193);
      b = (Math.imul(b, 31) + word) | 0;
    }
    for (let i = words * 4; i < part.length; i++) a = Math.imul(a ^ part[i]!, 0x01000193);
    a ^= part.length;
  }
  return `${(a >>> 0).toString(16)}-${(b >>> 0).toString(16)}`;
}

const align8 = (n: number): number => (n + 7) & ~7;

/** Reads and validates a cache file against `fingerprint`. Never throws: any problem is a miss with a reason. */
export function readListCache(file: string, fingerprint: string): CacheRead {
  let data: Buffer;
  try {
    const { bytes } = readFileBigStat(file);
    data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  } catch (error) {
    return { miss: (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no cache yet' : `cannot read cache: ${(error as Error).message}` };
  }
  try {
    if (data.length < PRELUDE || !data.subarray(0, MAGIC.length).equals(MAGIC)) return { miss: 'not a camshim list cache' };
    const format = data.readUInt32LE(MAGIC.length);
    if (format !== CACHE_FORMAT) return { miss: `cache format ${format}, this camshim writes ${CACHE_FORMAT}` };
    const headerLength = data.readUInt32LE(MAGIC.length + 4);
    if (PRELUDE + headerLength > data.length) return { miss: 'cache truncated' };
    const header = JSON.parse(data.toString('utf8', PRELUDE, PRELUDE + headerLength)) as CacheHeader;
    if (header.fingerprint !== fingerprint) return { miss: 'lists or config changed since the cache was written' };
    let offset = align8(PRELUDE + headerLength);
    const recordsAt = offset;
    offset = align8(offset + header.recordsLength);
    const tagsAt = offset;
    offset = align8(offset + header.tagsLength);
    const offsetsAt = offset;
    if (offsetsAt + header.offsetsLength * 4 !== data.length || header.tagsLength !== header.offsetsLength) return { miss: 'cache size does not match its header' };
    // Uint32Array views need 4-byte alignment; readFileBigStat's buffer starts at 0, else copy.
    const base = data.byteOffset % 4 === 0 ? data : Buffer.from(data);
    const records = new Uint8Array(base.buffer, base.byteOffset + recordsAt, header.recordsLength);
    const tags = new Uint8Array(base.buffer, base.byteOffset + tagsAt, header.tagsLength);
    const offsets = new Uint32Array(base.buffer, base.byteOffset + offsetsAt, header.offsetsLength);
    if (checksum([records, tags, new Uint8Array(offsets.buffer, offsets.byteOffset, offsets.byteLength)]) !== header.checksum) return { miss: 'cache checksum mismatch (damaged file)' };
    const table = new DomainTable({ records, tags, offsets, nameCount: header.nameCount, ruleCount: header.ruleCount });
    const lists = header.lists.map((list) => ({ ...list, modifiedAt: list.modifiedAt === null ? undefined : new Date(list.modifiedAt) }));
    return { hit: { table, lists, errors: header.errors, warnings: header.warnings } };
  } catch (error) {
    return { miss: `cache unreadable: ${(error as Error).message}` };
  }
}

/** Writes the cache atomically (temp file, then rename), so a reader never sees half a file. */
export async function writeListCache(file: string, fingerprint: string, lists: CachedLists): Promise<void> {
  const { records, tags, offsets, nameCount, ruleCount } = lists.table.parts;
  const offsetBytes = new Uint8Array(offsets.buffer, offsets.byteOffset, offsets.byteLength);
  const header: CacheHeader = {
    fingerprint, nameCount, ruleCount,
    recordsLength: records.length, tagsLength: tags.length, offsetsLength: offsets.length,
    checksum: checksum([records, tags, offsetBytes]),
    lists: lists.lists.map((list) => ({ ...list, modifiedAt: list.modifiedAt?.toISOString() ?? null })),
    errors: [...lists.errors], warnings: [...lists.warnings],
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const prelude = Buffer.alloc(PRELUDE);
  MAGIC.copy(prelude);
  prelude.writeUInt32LE(CACHE_FORMAT, MAGIC.length);
  prelude.writeUInt32LE(headerBytes.length, MAGIC.length + 4);
  const pad = (length: number): Buffer => Buffer.alloc(align8(length) - length);
  const afterHeader = PRELUDE + headerBytes.length;
  const chunks: Uint8Array[] = [
    prelude, headerBytes, pad(afterHeader),
    records, pad(records.length), tags, pad(tags.length), offsetBytes,
  ];
  await mkdir(path.dirname(file), { recursive: true });
  // A torn cache fails its checksum and is rebuilt from the lists: no fsync needed.
  await writeFileAtomic(file, chunks, { durable: false });
}
