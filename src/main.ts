#!/usr/bin/env node
import { runCli } from './cli/run-cli.js';

// The exit code is set here and only here; commands return it.
process.exitCode = await runCli(process.argv.slice(2));
