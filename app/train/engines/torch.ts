/** PyTorch as a training engine: a Python with torch (torch/python.ts) runs the job folder (torch/engine.ts). */
import { findTorchPython, noTorchReason, type TorchProbe } from '../torch/python.js';
import { trainTorch } from '../torch/engine.js';
import { DeviceError } from '../../model/errors.js';
import type { TrainEngine } from './types.js';

/** The device `want` resolves to on `p`, or a sentence saying why it cannot. */
function torchDevice(want: string, p: TorchProbe): { device?: string; problem?: string } {
  const cuda = p.cuda?.available === true;
  if (want === 'auto') return { device: cuda ? 'cuda' : p.mps ? 'mps' : 'cpu' };
  if (want.startsWith('cuda')) {
    if (!cuda) return { problem: `torch ${p.torch} at ${p.python} sees no CUDA device` };
    const idx = want.includes(':') ? Number(want.split(':')[1]) : 0;
    const n = p.cuda?.devices.length ?? 0;
    if (idx >= n) return { problem: `only ${n} CUDA device(s) exist` };
    return { device: want };
  }
  if (want === 'mps' && !p.mps) return { problem: `torch ${p.torch} at ${p.python} has no MPS device` };
  return { device: want };
}

export const torchEngine: TrainEngine = {
  name: 'torch',
  label: 'PyTorch',
  probe(device, env) {
    const t = findTorchPython(env);
    if (!t.found) return { ok: false, reason: noTorchReason(t), pythons: t.tried };
    const d = torchDevice(device, t.found);
    if (!d.device) return { ok: false, reason: d.problem!, refuse: new DeviceError(device, d.problem!), fatal: true, pythons: t.tried };
    return { ok: true, device: d.device, why: `PyTorch found (${t.found.python}: ${t.found.reason})`, python: t.found, pythons: t.tried };
  },
  train: (w) => trainTorch(w.graph, w.ds, { ...w.options, ...w.torch, device: w.engine.device, python: w.engine.python!.python }),
};
