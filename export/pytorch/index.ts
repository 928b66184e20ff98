/**
 * The PyTorch writer (`export --format pytorch --out DIR`): model.py (a readable nn.Module,
 * export/pytorch/model-py.ts), model.pt (its state_dict, saved by torch itself), labels.json and
 * preprocessing.json. Needs a Python with torch (app/train/torch/python.ts) to write model.pt,
 * and verifies the folder by loading it as a user would, in that Python (serve.py).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Graph } from '../../app/model/ir.js';
import { UserError } from '../../app/model/errors.js';
import { findTorchPython, noTorchReason } from '../../app/train/torch/python.js';
import type { ExportArtifact, ExportOptions, Exporter, Runner } from '../types.js';
import { PRODUCER } from '../metadata.js';
import { modelPy, stateTensors } from './model-py.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));

function torchPython(): string {
  const t = findTorchPython();
  if (!t.found) throw new UserError(`The PyTorch export needs torch to write model.pt: ${noTorchReason(t)}.`);
  return t.found.python;
}

export async function writePytorch(g: Graph, opts: ExportOptions): Promise<ExportArtifact> {
  const python = torchPython();
  const header = [
    `${g.name}, exported by ${PRODUCER} from ${opts.meta.source} (sha256 ${opts.meta.sourceHash.slice(0, 16)}…).`,
    'Batch norms, SE blocks and every layer are kept as the model has them; flatten follows NHWC order.',
  ];
  const src = modelPy(g, header);
  const tensors = stateTensors(g);
  let offset = 0;
  const entries = tensors.map(([key, shape, a]) => {
    const e = { key, shape, offset };
    offset += a.length;
    return e;
  });
  const blob = new Float32Array(offset);
  tensors.forEach(([, , a], i) => blob.set(a, entries[i].offset));
  const dir = mkdtempSync(join(tmpdir(), 'seprune-pytorch-'));
  try {
    writeFileSync(join(dir, 'model.py'), src);
    writeFileSync(join(dir, 'state.json'), JSON.stringify(entries));
    writeFileSync(join(dir, 'state.f32'), new Uint8Array(blob.buffer));
    const r = spawnSync(python, [join(HERE, 'save_state.py'), dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`writing model.pt failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
    const pt = readFileSync(join(dir, 'model.pt'));
    const enc = (s: string) => new TextEncoder().encode(s);
    return {
      files: [
        { name: 'model.py', data: enc(src) },
        { name: 'model.pt', data: new Uint8Array(pt) },
        { name: 'labels.json', data: enc(JSON.stringify(opts.meta.labels ?? null, null, 1)) },
        { name: 'preprocessing.json', data: enc(JSON.stringify(opts.meta.preprocessing ?? null, null, 1)) },
      ],
      notes: [`nn.Module with ${g.nodes.length} nodes, ${tensors.length} state_dict tensors; input NCHW`],
      keptFloat: [],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A Runner over `python serve.py DIR`: the exported folder loaded the way a user loads it. */
async function openPytorch(path: string, g: Graph): Promise<Runner> {
  const python = torchPython();
  const [h, w, c] = g.inputs[0].shape;
  const child = spawn(python, [join(HERE, 'serve.py'), path, String(h), String(w), String(c)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
  let buf = Buffer.alloc(0);
  let waiting: (() => void) | undefined;
  child.stdout.on('data', (b: Buffer) => {
    buf = Buffer.concat([buf, b]);
    waiting?.();
  });
  const exited = new Promise<void>((res) => child.on('close', () => res()));
  const failed = () => new UserError(`PyTorch could not run the exported model: ${stderr.trim().split('\n').pop() ?? 'it exited'}.`);
  /** Resolves with the first line once it has arrived, removing it from the buffer. */
  const line = async (): Promise<string> => {
    for (;;) {
      const i = buf.indexOf(10);
      if (i >= 0) {
        const l = buf.subarray(0, i).toString();
        buf = buf.subarray(i + 1);
        return l;
      }
      if (child.exitCode !== null) throw failed();
      await Promise.race([new Promise<void>((r) => (waiting = r)), exited]);
    }
  };
  const bytes = async (n: number): Promise<Buffer> => {
    while (buf.length < n) {
      if (child.exitCode !== null) throw failed();
      await Promise.race([new Promise<void>((r) => (waiting = r)), exited]);
    }
    const out = buf.subarray(0, n);
    buf = buf.subarray(n);
    return out;
  };
  if ((await line()) !== 'ready') throw failed();
  return {
    runtime: 'pytorch',
    async run(x: Float32Array, n: number) {
      child.stdin.write(`${n}\n`);
      child.stdin.write(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
      const count = Number(await line());
      const b = await bytes(count * 4);
      return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    },
    async release() {
      child.stdin.end();
      await exited;
    },
  };
}

export const pytorchExporter: Exporter = {
  format: 'pytorch',
  quant: ['fp32'],
  output: 'folder',
  write: writePytorch,
  async open(path: string, g: Graph) {
    return [await openPytorch(path, g)];
  },
};
