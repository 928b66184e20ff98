/** `seprune doctor`: which compute backends run here, which were tried, and why the others did not. */
import os from 'node:os';
import type { CommandSpec } from '../command.js';

export const doctorCommand: CommandSpec = {
  name: 'doctor',
  summary: 'Report the training engine (PyTorch and its devices, or tfjs) and backend chosen, why the others are unavailable, and the inference runtimes present.',
  options: {},
  positionals: [],
  async run() {
    const { chooseBackend } = await import('../../engine/backend.js');
    const training = await chooseBackend();
    let ort: { ok: boolean; version?: string; reason?: string };
    try {
      const mod = await import('onnxruntime-node');
      ort = { ok: true, version: mod.env.versions?.node ?? 'unknown' };
    } catch (e) {
      ort = { ok: false, reason: (e as Error).message.split('\n')[0] };
    }
    const { findTorchPython, pythonCandidates } = await import('../../train/torch/index.js');
    const torch = findTorchPython();
    const t = torch.found;
    const devices = t ? [...(t.cuda?.available ? t.cuda.devices.map((n, i) => `cuda:${i} ${n}`) : []), ...(t.mps ? ['mps'] : []), 'cpu'] : [];
    const machine = { platform: `${os.platform()}-${os.arch()}`, cpus: os.availableParallelism(), node: process.version };
    const text = [
      `training engine (finetune --engine auto): ${t ? `torch ${t.torch} at ${t.python}, devices ${devices.join(', ')} (auto picks ${devices[0]})` : 'tfjs (no Python with PyTorch)'}`,
      `  Python candidates: ${pythonCandidates().join(', ')}`,
      ...torch.tried.map((p) => `  ${p.ok ? '✓' : '✗'} ${p.python}: ${p.reason}`),
      `tfjs training backend: ${training.name}`,
      ...training.tried.map((t) => `  ${t.ok ? '✓' : '✗'} ${t.name}: ${t.reason}`),
      `inference: onnxruntime-node ${ort.ok ? `${ort.version} (CPU, ${machine.cpus} threads)` : `unavailable: ${ort.reason}`}`,
      `machine: ${machine.platform}, ${machine.cpus} cores, Node ${machine.node}`,
    ].join('\n');
    const torchJson = t
      ? { available: true, python: t.python, version: t.torch, cuda: t.cuda ?? null, mps: t.mps === true, devices, tried: torch.tried }
      : { available: false, tried: torch.tried };
    return { json: { engine: t ? 'torch' : 'tfjs', torch: torchJson, backend: training.name, tried: training.tried, onnxruntime: ort, machine }, text };
  },
};
