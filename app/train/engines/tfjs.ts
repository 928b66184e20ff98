/** The built-in tfjs trainer (../trainer.ts) as a training engine: always here; its backend picks the device. */
import { train } from '../trainer.js';
import { DeviceError } from '../../model/errors.js';
import type { TrainEngine } from './types.js';

export const tfjsEngine: TrainEngine = {
  name: 'tfjs',
  label: 'the built-in engine',
  probe(device) {
    if (device !== 'auto' && device !== 'cpu') {
      return { ok: false, reason: `it does not take a device (${device})`, refuse: new DeviceError(device, 'it picks its own backend', 'tfjs'), pythons: [] };
    }
    return { ok: true, device: 'auto', why: 'the built-in engine', pythons: [] };
  },
  train: (w) => train(w.graph, w.ds, { ...w.options, workers: w.workers }),
};
