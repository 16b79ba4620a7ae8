import type { Problem } from '../errors.js';
import { ruleHeader, type DomainTableBuilder, type RuleHeader } from './domain-table-builder.js';
import { findNeverBlockViolations, type NeverBlockGuard } from './never-block.js';
import type { ListEntry, RuleAction } from './rule.js';
import type { ListSink } from './scan-list.js';

/**
 * Feeds one list's entries to the table builder as the scan finds them. A block rule that
 * would sinkhole a never-block name is refused and becomes an error (LIST_NEVER_BLOCK).
 */
export class TableSink implements ListSink {
  /** Block lists only: the guard flags names that may touch never-block names, then looked at as text. */
  private readonly check: NeverBlockGuard | undefined;
  /** What each plain name gets: the list's default action over the subtree. */
  private readonly header: RuleHeader;

  constructor(
    private readonly builder: DomainTableBuilder,
    private readonly guard: NeverBlockGuard,
    private readonly action: RuleAction,
    private readonly list: number,
    private readonly file: string,
    private readonly errors: Problem[],
  ) {
    this.check = action === 'block' && guard.active ? guard : undefined;
    this.header = ruleHeader(action, 'subtree', list);
  }

  name(bytes: Uint8Array, start: number, end: number, line: number): void {
    if (this.builder.addRule(bytes, start, end, this.header, line, this.check)) return;
    const name = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1', start, end);
    this.entry({ name, action: this.action, scope: 'subtree', line });
  }

  entry(entry: ListEntry): void {
    if (entry.action === 'block') {
      const violation = findNeverBlockViolations(this.guard, entry.name, entry.scope);
      if (violation !== undefined) {
        this.errors.push({ code: 'LIST_NEVER_BLOCK', file: this.file, line: entry.line, message: violation });
        return;
      }
    }
    this.builder.add(entry.name, entry.action, entry.scope, this.list, entry.line);
  }
}
