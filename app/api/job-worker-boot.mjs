// Entry of a job process started by the browser host (app/api/job-host.ts, forkJobProcess): like
// bin/seprune.mjs, registers tsx's ESM and CommonJS hooks so the TypeScript sources load, then
// runs the worker.
import { register as registerEsm } from 'tsx/esm/api';
import { register as registerCjs } from 'tsx/cjs/api';

registerEsm();
registerCjs();
await import('./job-worker.ts');
