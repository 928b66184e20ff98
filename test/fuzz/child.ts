/** The fuzz worker process: runs the cases its parent sends (pool.ts) one at a time and answers each. */
import { loadCase, type StoredCase } from './case.js';
import { runCase } from './run-case.js';

process.on('message', (m: { id: number; c: StoredCase; seeds: string }) => {
  void runCase(loadCase(m.c), m.seeds).then((result) => process.send!({ id: m.id, result }));
});
process.send!({ ready: true });
