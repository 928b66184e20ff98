// Entry of a data-parallel training worker (data-parallel.ts): a worker thread starts without the
// parent's loaders, so it registers tsx's hooks itself (as bin/seprune.mjs does) before loading
// the TypeScript worker.
import { register as registerEsm } from 'tsx/esm/api';
import { register as registerCjs } from 'tsx/cjs/api';

registerEsm();
registerCjs();
await import('./shard-worker.ts');
