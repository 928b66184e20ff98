#!/usr/bin/env node
// Entry point of `npx seprune`: loads the TypeScript CLI through tsx (a runtime dependency), so
// there is no separate build step between a checkout and a working command. Both of tsx's hooks
// are registered: the ESM one for our sources, the CommonJS one because tfjs-core's gradient
// registrations are ES files that app/engine/tf.ts loads through require().
import { register as registerEsm } from 'tsx/esm/api';
import { register as registerCjs } from 'tsx/cjs/api';

registerEsm();
registerCjs();
const { runCli } = await import('../app/cli/main.ts');
const code = await runCli(process.argv.slice(2));
// Flush stdout before exiting (large --json outputs to a pipe).
process.stdout.write('', () => process.exit(code));
