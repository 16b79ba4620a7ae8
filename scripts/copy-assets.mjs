/**
 * Copies the files the compiled code reads at run time and tsc does not emit (the dashboard's
 * page: HTML, script, stylesheet, icon) from src/ to their place beside the compiled code in
 * dist/src, so the package ships dist/ alone and never a source folder. Run by `npm run build`.
 */
import { cp, rm } from 'node:fs/promises';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const COPIES = [['src/dashboard/assets', 'dist/src/dashboard/assets']];

for (const [from, to] of COPIES) {
  const target = path.join(ROOT, to);
  // A file removed from the source must not linger in the build.
  await rm(target, { recursive: true, force: true });
  await cp(path.join(ROOT, from), target, { recursive: true });
}
