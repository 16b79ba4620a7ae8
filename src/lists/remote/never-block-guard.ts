import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { entryAt } from '../list-set.js';
import { NeverBlockGuard } from '../never-block.js';
import { scanList } from '../scan-list.js';

/** The guard the loader builds from the bundled never-block file, for checking downloads before they are cached. */
export async function readNeverBlockGuard(bundledDir: string, overrides: readonly string[]): Promise<NeverBlockGuard> {
  const guard = new NeverBlockGuard(overrides);
  const file = path.join(bundledDir, 'never-block');
  const scanned = scanList(new Uint8Array(await readFile(file)), file, 'block');
  for (let i = 0; i < scanned.count; i++) guard.add(entryAt(scanned, i).name, `${file}:${scanned.line[i]!}`);
  return guard;
}
