/**
 * Test support: real BN-folded `torch.onnx.export` files of tools/torchnets.py networks, trained
 * briefly on the bundled Fashion-MNIST subset (seconds), and that subset written as 32×32 IDX
 * files padded with gray 73 (≈ 0 after Normalize(0.2860, 0.3530), i.e. PyTorch's Pad(2) after
 * normalising) so our loader with --mean/--std sees what PyTorch saw. Needs Debian's
 * python3-torch; `realExportsProblem()` says why not when it is absent.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PY = '/usr/bin/python3';

export function realExportsProblem(): string | undefined {
  const r = spawnSync(PY, ['-c', 'import torch, torchvision, onnx'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `Debian's python3-torch, python3-torchvision and python3-onnx are needed (${(r.stderr || r.error?.message || '').trim().split('\n').pop()})`;
}

const SCRIPT = `
import sys, os, json, struct, numpy as np, torch
sys.path.insert(0, os.path.join(sys.argv[1], 'tools'))
import torchnets as tn
net_name, width, epochs, limit, out = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
torch.set_num_threads(2)
data = os.path.join(sys.argv[1], 'app', 'data', 'builtin', 'fashion-mnist')
x, y, _ = tn.fashion_mnist('train', None, data)
tx, ty, _ = tn.fashion_mnist('test', None, data)
net = tn.build(net_name, width=width, seed=0)
tn.train(net, x[:limit], y[:limit], epochs=epochs, batch=64, lr=0.05, log=lambda s: None)
tn.export_onnx(net, os.path.join(out, net_name + '.onnx'))
def write(prefix, imgs, labels):
    b = np.full((len(imgs), 32, 32), 73, np.uint8); b[:, 2:30, 2:30] = imgs
    with open(os.path.join(out, prefix + '-images-idx3-ubyte'), 'wb') as f:
        f.write(struct.pack('>IIII', 2051, len(imgs), 32, 32)); f.write(b.tobytes())
    with open(os.path.join(out, prefix + '-labels-idx1-ubyte'), 'wb') as f:
        f.write(struct.pack('>II', 2049, len(labels))); f.write(labels.astype(np.uint8).tobytes())
write('train', x[limit:], y[limit:])
write('t10k', tx, ty)
print(json.dumps({'top1': tn.evaluate(net, tx, ty)}))
`;

export interface RealExport {
  /** The .onnx file. */
  model: string;
  /** An IDX folder: train = the bundled training images not used for training, t10k = the bundled test images; 32×32, padded with 73. */
  data: string;
  /** PyTorch's own top-1 on the bundled test images. */
  top1: number;
}

/** Trains and exports `net` (tools/torchnets.py name) on the first `limit` bundled training images. */
export function buildRealExport(net: string, o: { width?: number; epochs?: number; limit?: number } = {}): RealExport {
  const out = mkdtempSync(join(tmpdir(), `seprune-${net}-`));
  const r = spawnSync(PY, ['-c', SCRIPT, ROOT, net, String(o.width ?? 8), String(o.epochs ?? 1), String(o.limit ?? 3000), out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building ${net} failed: ${r.stderr}`);
  const info = JSON.parse(r.stdout.trim().split('\n').pop()!) as { top1: number };
  return { model: join(out, `${net}.onnx`), data: out, top1: info.top1 };
}
