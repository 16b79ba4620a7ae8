import v8 from 'node:v8';

/** How V8 sizes its young generation: the factor it grows by, and V8's own default for it. */
const GROWTH_FLAG = 'semi-space-growth-factor';
const V8_DEFAULT_GROWTH = 2;

let held = false;

/**
 * Holds V8's young generation at its size while camshim starts (`main` calls this first).
 * V8 grows the young generation each time most of it survives a collection, and a start (code,
 * config, lists) is nearly all survivors: it would grow to several MB, which an idle daemon then
 * keeps resident for nothing, since what survived is moved to the old generation anyway. Left
 * alone when the user sets the flag (NODE_OPTIONS, node's arguments).
 */
export function holdYoungGeneration(): void {
  const userSet = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)]
    .some((argument) => argument.replace(/_/g, '-').startsWith(`--${GROWTH_FLAG}`));
  if (userSet || held) return;
  v8.setFlagsFromString(`--${GROWTH_FLAG}=1`);
  held = true;
}

/**
 * Lets the young generation grow again, as V8's default: once the daemon serves (a query load
 * then gets the young generation it needs), or before any other command runs (a report over a
 * big log allocates freely). Does nothing unless held.
 */
export function releaseYoungGeneration(): void {
  if (!held) return;
  held = false;
  v8.setFlagsFromString(`--${GROWTH_FLAG}=${V8_DEFAULT_GROWTH}`);
}
