/**
 * Which training engine runs, on which device, and why not the others: `--engine auto` takes
 * torch when a Python with torch is found (python.ts), else the built-in tfjs engine; `torch`
 * insists (a missing torch is one sentence); `tfjs` never starts Python. The device is checked
 * against what the probe saw, so a `--device cuda` on a machine without CUDA fails before any
 * data is written.
 */
import { UserError } from '../../model/errors.js';
import { findTorchPython, noTorchReason, type TorchProbe } from './python.js';

export type EngineName = 'torch' | 'tfjs';
export const ENGINE_CHOICES = ['auto', 'torch', 'tfjs'] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];

export interface EngineDecision {
  engine: EngineName;
  /** The Python that runs torch (torch engine only). */
  python?: TorchProbe;
  /** The device the torch runner will use: cuda, cuda:N, mps or cpu (the tfjs engine: its backend decides). */
  device: string;
  /** Why this engine runs, and why each other one does not. */
  why: string;
  notUsed: { engine: EngineName; reason: string }[];
  /** Every Python candidate probed and what it said. */
  pythons: TorchProbe[];
}

const DEVICE = /^(auto|cpu|mps|cuda(:\d+)?)$/;

/** The device `want` resolves to on `p`, or a sentence saying why it cannot. */
function torchDevice(want: string, p: TorchProbe): { device?: string; problem?: string } {
  const cuda = p.cuda?.available === true;
  if (want === 'auto') return { device: cuda ? 'cuda' : p.mps ? 'mps' : 'cpu' };
  if (want.startsWith('cuda')) {
    if (!cuda) return { problem: `--device ${want} was asked for but torch ${p.torch} at ${p.python} sees no CUDA device` };
    const idx = want.includes(':') ? Number(want.split(':')[1]) : 0;
    const n = p.cuda?.devices.length ?? 0;
    if (idx >= n) return { problem: `--device ${want} was asked for but only ${n} CUDA device(s) exist` };
    return { device: want };
  }
  if (want === 'mps' && !p.mps) return { problem: `--device mps was asked for but torch ${p.torch} at ${p.python} has no MPS device` };
  return { device: want };
}

/** What the app shows about the torch engine: found or why not, and its devices. */
export function torchInfo(env: NodeJS.ProcessEnv = process.env): { available: boolean; reason: string; python?: string; version?: string; devices: string[] } {
  const t = findTorchPython(env);
  const p = t.found;
  if (!p) return { available: false, reason: noTorchReason(t), devices: [] };
  const devices = [...(p.cuda?.available ? p.cuda.devices.map((n, i) => `cuda:${i} ${n}`) : []), ...(p.mps ? ['mps'] : []), 'cpu'];
  return { available: true, reason: `${p.python}: ${p.reason}`, python: p.python, ...(p.torch ? { version: p.torch } : {}), devices };
}

export function chooseEngine(choice: EngineChoice = 'auto', device = 'auto', env: NodeJS.ProcessEnv = process.env): EngineDecision {
  if (!ENGINE_CHOICES.includes(choice)) throw new UserError(`--engine must be auto, torch or tfjs, got "${String(choice)}".`);
  if (!DEVICE.test(device)) throw new UserError(`--device must be auto, cpu, cuda, cuda:N or mps, got "${device}".`);
  if (choice === 'tfjs') {
    if (device !== 'auto' && device !== 'cpu') throw new UserError(`--device ${device} needs the torch engine; the tfjs engine picks its own backend (--backend).`);
    return { engine: 'tfjs', device: 'auto', why: 'asked for with --engine tfjs', notUsed: [{ engine: 'torch', reason: 'not asked for' }], pythons: [] };
  }
  const t = findTorchPython(env);
  if (!t.found) {
    if (choice === 'torch' || (device !== 'auto' && device !== 'cpu')) throw new UserError(`The torch engine cannot run: ${noTorchReason(t)}.`);
    return { engine: 'tfjs', device: 'auto', why: 'the built-in engine (no PyTorch here)', notUsed: [{ engine: 'torch', reason: noTorchReason(t) }], pythons: t.tried };
  }
  const d = torchDevice(device, t.found);
  if (!d.device) throw new UserError(`${d.problem}.`);
  return {
    engine: 'torch',
    python: t.found,
    device: d.device,
    why: choice === 'torch' ? 'asked for with --engine torch' : `PyTorch found (${t.found.python}: ${t.found.reason})`,
    notUsed: [{ engine: 'tfjs', reason: choice === 'torch' ? 'not asked for' : 'PyTorch is present and faster' }],
    pythons: t.tried,
  };
}
