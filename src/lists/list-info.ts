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
}
