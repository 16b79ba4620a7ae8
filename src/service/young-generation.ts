import v8 from 'node:v8';

/** How V8 sizes its young generation: the factor it grows by, and V8's own default for it. */
const GROWTH_FLAG = 'semi-space-growth-factor';
const V8_DEFAULT_GROWTH = 2;

/**
 * Node's built-in modules the daemon loads (and those it reaches through them), loaded before the
 * young generation is held. V8 checks its flags when it takes a compiled built-in from Node's code
 * cache: once a flag differs from the ones the cache was made with, every built-in loaded after
 * is compiled again from its source, which costs a daemon's start some 50 ms. Loaded through
 * `import()`, as the daemon's modules load them, so their ES module views (which load a few
 * more) are made here too. A built-in missing here still works, only compiled again; the test
 * (young-generation.test.ts) names any the daemon loads after the hold.
 */
export const DAEMON_BUILTINS: readonly string[] = [
  'node:assert', 'node:child_process', 'node:cluster', 'node:crypto', 'node:dgram', 'node:dns', 'node:events', 'node:fs',
  'node:fs/promises', 'node:net', 'node:os', 'node:path', 'node:perf_hooks', 'node:readline', 'node:stream', 'node:url',
  'node:util', 'node:vm', 'node:worker_threads',
];

let held = false;

/**
 * Holds V8's young generation at its size while the daemon starts (`serve` calls this before its
 * modules are loaded). V8 grows the young generation each time most of it survives a collection,
 * and a start (code, config, lists) is nearly all survivors: it would grow to several MB, which
 * an idle daemon then keeps resident for nothing, since what survived is moved to the old
 * generation anyway. Left alone when the user sets the flag (NODE_OPTIONS, node's arguments).
 * The V8 in Node 24 grows its young generation without this factor, so there the hold changes
 * nothing (docs/benchmarks.md has the figures).
 */
export async function holdYoungGeneration(builtins: readonly string[] = DAEMON_BUILTINS): Promise<void> {
  const userSet = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)]
    .some((argument) => argument.replace(/_/g, '-').startsWith(`--${GROWTH_FLAG}`));
  if (userSet || held) return;
  await Promise.all(builtins.map((name) => import(name)));
  v8.setFlagsFromString(`--${GROWTH_FLAG}=1`);
  held = true;
}

/**
 * Lets the young generation grow again, as V8's default, once the daemon serves (a query load
 * then gets the young generation it needs), or when it turns out to be a `--workers` primary.
 * Does nothing unless held.
 */
export function releaseYoungGeneration(): void {
  if (!held) return;
  held = false;
  v8.setFlagsFromString(`--${GROWTH_FLAG}=${V8_DEFAULT_GROWTH}`);
}
