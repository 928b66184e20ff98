/**
 * Which training engine runs, on which device, and why not the others. `--engine auto` takes the
 * first engine of the registry (app/train/engines: torch when a Python with torch is found, else
 * the built-in tfjs engine) whose probe says it can run; a named engine insists (a missing torch
 * is one sentence), and only its own probe runs (`tfjs` never starts Python). The device is
 * checked against what the probe saw, so a `--device cuda` on a machine without CUDA fails before
 * any data is written.
 */
import { UserError } from '../../model/errors.js';
import { orList } from '../../util/words.js';
import { findTorchPython, noTorchReason, type TorchProbe } from './python.js';
import { engineChoices, engineNamed, TRAIN_ENGINES } from '../engines/index.js';

/** An engine's name (app/train/engines lists them). */
export type EngineName = string;
/** auto or an engine's name. */
export type EngineChoice = string;
/** What `--engine` accepts, read when asked (the registry may grow). */
export { engineChoices } from '../engines/index.js';

export interface EngineDecision {
  engine: EngineName;
  /** The Python that runs torch (torch engine only). */
  python?: TorchProbe;
  /** The device the engine will use: cuda, cuda:N, mps or cpu (the tfjs engine: auto, its backend decides). */
  device: string;
  /** Why this engine runs, and why each other one does not. */
  why: string;
  notUsed: { engine: EngineName; reason: string }[];
  /** Every Python candidate probed and what it said. */
  pythons: TorchProbe[];
}

/** Whether `device` is a device setting: auto, cpu, mps, cuda or cuda:N. */
export const isDeviceSpec = (device: string): boolean => /^(auto|cpu|mps|cuda(:\d+)?)$/.test(device);

/** What the app shows about the torch engine: found or why not, and its devices. */
export function torchInfo(env: NodeJS.ProcessEnv = process.env): { available: boolean; reason: string; python?: string; version?: string; devices: string[] } {
  const t = findTorchPython(env);
  const p = t.found;
  if (!p) return { available: false, reason: noTorchReason(t), devices: [] };
  const devices = [...(p.cuda?.available ? p.cuda.devices.map((n, i) => `cuda:${i} ${n}`) : []), ...(p.mps ? ['mps'] : []), 'cpu'];
  return { available: true, reason: `${p.python}: ${p.reason}`, python: p.python, ...(p.torch ? { version: p.torch } : {}), devices };
}

export function chooseEngine(choice: EngineChoice = 'auto', device = 'auto', env: NodeJS.ProcessEnv = process.env): EngineDecision {
  const choices = engineChoices();
  if (!choices.includes(choice)) throw new UserError(`--engine must be ${orList(choices)}, got "${String(choice)}".`);
  if (!isDeviceSpec(device)) throw new UserError(`--device must be auto, cpu, cuda, cuda:N or mps, got "${device}".`);
  if (choice !== 'auto') {
    const e = engineNamed(choice);
    const p = e.probe(device, env);
    if (!p.ok) throw p.refuse ?? new UserError(`The ${e.name} engine cannot run: ${p.reason}.`);
    const notUsed = TRAIN_ENGINES.filter((x) => x !== e).map((x) => ({ engine: x.name, reason: 'not asked for' }));
    return { engine: e.name, ...(p.python ? { python: p.python } : {}), device: p.device, why: `asked for with --engine ${e.name}`, notUsed, pythons: p.pythons };
  }
  const failed: { engine: string; label: string; reason: string }[] = [];
  const pythons: TorchProbe[] = [];
  for (const [i, e] of TRAIN_ENGINES.entries()) {
    const p = e.probe(device, env);
    pythons.push(...p.pythons);
    if (!p.ok) {
      if (p.fatal) throw p.refuse ?? new UserError(`The ${e.name} engine cannot run: ${p.reason}.`);
      failed.push({ engine: e.name, label: e.label, reason: p.reason });
      continue;
    }
    const later = TRAIN_ENGINES.slice(i + 1).map((x) => ({ engine: x.name, reason: `${e.label} is present and faster` }));
    const why = failed.length ? `${p.why} (no ${failed.map((f) => f.label).join(' or ')} here)` : p.why;
    return { engine: e.name, ...(p.python ? { python: p.python } : {}), device: p.device, why, notUsed: [...failed.map(({ engine, reason }) => ({ engine, reason })), ...later], pythons };
  }
  throw new UserError(`The ${failed[0].engine} engine cannot run: ${failed[0].reason}.`);
}
