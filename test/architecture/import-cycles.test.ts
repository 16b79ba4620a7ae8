/**
 * The layering rule, held by a test: no import cycle anywhere under src/, type-only imports
 * included (a type cycle is still two files that cannot be understood one without the other),
 * and every folder imports only from the folders its README's `May import:` line names.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PROJECT_ROOT } from '../helpers/daemon.js';

const SRC = path.join(PROJECT_ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Relative imports and re-exports of one file, resolved to source paths (`./x.js` -> `./x.ts`). */
export function importsOf(file: string, text: string): string[] {
  const found: string[] = [];
  const pattern = /(?:^|\n)\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]|\bimport\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;
  for (const match of text.matchAll(pattern)) {
    const specifier = match[1] ?? match[2];
    if (specifier === undefined) continue;
    found.push(path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.ts')));
  }
  return found;
}

/** Every elementary cycle's smallest representative, found by depth-first search (Tarjan would do; the graph is small). */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      const seen = state.get(next);
      if (seen === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (seen === undefined) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}

describe('import graph of src/', () => {
  it('the cycle finder sees a cycle, and none in a tree', () => {
    assert.deepEqual(findCycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]])), [['a', 'b', 'c', 'a']]);
    assert.deepEqual(findCycles(new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]])), []);
    assert.deepEqual(importsOf('/x/a.ts', "import type { T } from './b.js';\nexport { u } from '../c.js';\nconst m = await import('./d.js');"),
      ['/x/b.ts', '/c.ts', '/x/d.ts']);
  });

  it('every folder imports only what its README allows, and every folder has a README that says it', () => {
    const folders = readdirSync(SRC, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
    const allowed = new Map<string, Set<string>>();
    for (const folder of folders) {
      let readme = '';
      try { readme = readFileSync(path.join(SRC, folder, 'README.md'), 'utf8'); } catch { /* reported below */ }
      const line = /^May import: (.*)$/m.exec(readme);
      assert.ok(line, `src/${folder}/README.md must say what the folder may import (a line "May import: ...")`);
      allowed.set(folder, new Set(line[1]!.split(',').map((name) => name.trim()).filter((name) => name !== '' && name !== 'nothing')));
    }
    const breaches: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const from = path.relative(SRC, file).split(path.sep);
      if (from.length < 2) continue; // top-level files compose the layers
      const folder = from[0]!;
      for (const target of importsOf(file, readFileSync(file, 'utf8'))) {
        const to = path.relative(SRC, target).split(path.sep);
        const layer = to.length < 2 ? to[0]!.replace(/\.ts$/, '') : to[0]!;
        if (layer !== folder && !allowed.get(folder)!.has(layer)) breaches.push(`${path.relative(SRC, file)} imports ${path.relative(SRC, target)}`);
      }
    }
    assert.deepEqual(breaches, [], `imports not allowed by their folder's README:\n${breaches.join('\n')}`);
  });

  it('has no import cycle, type-only imports included', () => {
    const files = sourceFiles(SRC);
    assert.ok(files.length > 20, `expected the sources under ${SRC}`);
    const graph = new Map(files.map((file) => [file, importsOf(file, readFileSync(file, 'utf8'))]));
    const cycles = findCycles(graph).map((cycle) => cycle.map((file) => path.relative(SRC, file)).join(' -> '));
    assert.deepEqual(cycles, [], `import cycles:\n${cycles.join('\n')}`);
  });
});
