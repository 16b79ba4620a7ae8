#!/usr/bin/env node
import module from 'node:module';

// Node >= 22.1 keeps compiled code on disk between starts (a restart then skips most of the
// compiling), in NODE_COMPILE_CACHE's folder when that is set (the systemd unit sets it) and in
// the temporary folder otherwise; earlier Nodes have no such call and start as they always did.
// Enabled before the CLI is loaded, so the CLI's own code is cached too.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const { runCli } = await import('./cli/run-cli.js');

// The exit code is set here and only here; commands return it.
process.exitCode = await runCli(process.argv.slice(2));
