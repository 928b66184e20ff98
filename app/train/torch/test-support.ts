/** Shared by the torch engine's tests: the Python that has torch, and running the runner's helpers. */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Graph } from '../../model/ir.js';
import { encodeProject } from '../../model/project-file.js';
import { findTorchPython } from './python.js';
import { RUNNER_DIR } from './job.js';

export const torchPython = findTorchPython().found?.python;
/** Why the torch tests cannot run here (undefined when they can). */
export const noTorch = torchPython ? undefined : `no Python with torch here: ${findTorchPython().tried.map((t) => `${t.python}: ${t.reason}`).join('; ')}`;

export interface ForwardCase {
  g: Graph;
  /** n NHWC images. */
  x: Float32Array;
  n: number;
  train?: boolean;
}

/** The torch module's first output for each case (one Python start for all of them). */
export function torchForward(cases: ForwardCase[], dir: string): Float32Array[] {
  const list = cases.map((c, i) => {
    const model = join(dir, `m${i}.seprune`);
    writeFileSync(model, Buffer.concat(encodeProject({ graph: c.g, history: [] })));
    writeFileSync(join(dir, `x${i}.f32`), new Uint8Array(c.x.buffer, c.x.byteOffset, c.x.byteLength));
    return { model, images: join(dir, `x${i}.f32`), n: c.n, out: join(dir, `y${i}.f32`), train: c.train === true };
  });
  writeFileSync(join(dir, 'forward.json'), JSON.stringify(list));
  const r = spawnSync(torchPython!, [join(RUNNER_DIR, 'forward.py'), join(dir, 'forward.json')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`forward.py failed: ${r.stderr}`);
  return list.map((l) => {
    const b = readFileSync(l.out);
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  });
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function maxAbs(a: Float32Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}
