#!/usr/bin/env node
// Entry point of `npx seprune`: loads the TypeScript CLI through tsx (a runtime dependency), so
// there is no separate build step between a checkout and a working command.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../app/cli/main.ts');
const code = await runCli(process.argv.slice(2));
// Flush stdout before exiting (large --json outputs to a pipe).
process.stdout.write('', () => process.exit(code));
