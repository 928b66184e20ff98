/** `seprune doctor`: which compute backends run here, which were tried, and why the others did not. */
import os from 'node:os';
import type { CommandSpec } from '../command.js';

export const doctorCommand: CommandSpec = {
  name: 'doctor',
  summary: 'Report the training backend chosen (and why the others are unavailable) and the inference runtimes present.',
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
    const machine = { platform: `${os.platform()}-${os.arch()}`, cpus: os.availableParallelism(), node: process.version };
    const text = [
      `training backend: ${training.name}`,
      ...training.tried.map((t) => `  ${t.ok ? '✓' : '✗'} ${t.name}: ${t.reason}`),
      `inference: onnxruntime-node ${ort.ok ? `${ort.version} (CPU, ${machine.cpus} threads)` : `unavailable: ${ort.reason}`}`,
      `machine: ${machine.platform}, ${machine.cpus} cores, Node ${machine.node}`,
    ].join('\n');
    return { json: { backend: training.name, tried: training.tried, onnxruntime: ort, machine }, text };
  },
};
