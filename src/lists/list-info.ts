import type { ListMeta } from './parse.js';

export type ListKind = 'block' | 'allow' | 'ntp';

export interface ListInfo {
  readonly index: number;
  /** What groups call it: file name without .list/.txt (or the configured name). */
  readonly name: string;
  readonly file: string;
  readonly kind: ListKind;
  readonly bundled: boolean;
  readonly entryCount: number;
  readonly meta: ListMeta;
  readonly modifiedAt: Date | undefined;
  /** The groups a source was assigned to (then only those get it); undefined: every group listing "*". */
  readonly groups?: readonly string[];
  /** For a source given by URL: the URL (`file` is its cached copy). */
  readonly url?: string;
}
