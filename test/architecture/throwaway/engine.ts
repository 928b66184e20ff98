/** A throwaway training engine in one file: the built-in trainer on this thread alone, counting its runs. */
import { train } from '../../../app/train/trainer.js';
import type { TrainEngine } from '../../../app/train/engines/index.js';

export const toyEngine: TrainEngine = {
  name: 'toy-engine',
  label: 'the toy engine',
  probe: (device) => (device === 'auto' || device === 'cpu' ? { ok: true, device: 'cpu', why: 'the toy engine', pythons: [] } : { ok: false, reason: `no ${device} here`, pythons: [] }),
  train: (w) => train(w.graph, w.ds, { ...w.options, workers: 0 }),
};
