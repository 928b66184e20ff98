// `export --format pytorch`: model.py + model.pt load in a plain python3 (Model(),
// load_state_dict(torch.load(...)), as a user does) and give the executor's logits (≤ 1e-4) on
// the families whose ops differ most: split/concat/shuffle, hard-sigmoid/hard-swish, residual adds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildZooModel } from '../../app/model/zoo/index.js';
import { Rng } from '../../app/model/random.js';
import { exportModel } from '../export-model.js';
import { torchPython, noTorch } from '../../app/train/torch/test-support.js';

const dir = mkdtempSync(join(tmpdir(), 'seprune-pytorch-export-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('export pytorch: the folder loads in plain python3 and matches the executor', { skip: noTorch }, async () => {
  for (const name of ['se-shufflenetv2-demo', 'se-mobilenetv3-demo']) {
    const g = buildZooModel(`${name}?seed=2`);
    const [h, w, c] = g.inputs[0].shape;
    const n = 6;
    const x = new Rng(3).normalArray(n * h * w * c, 1);
    const out = join(dir, name);
    const r = await exportModel({
      graph: g,
      format: 'pytorch',
      quant: 'fp32',
      out,
      meta: { source: `zoo:${name}`, sourceHash: 'ab'.repeat(32), labels: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'], preprocessing: { mean: [0.286], std: [0.353], pad: 2, channels: 1 } },
      verifyData: [{ x, n, y: Int32Array.from({ length: n }, (_, i) => i % 10) }],
      latencyRuns: 1,
    });
    assert.equal(r.verify?.runtime, 'pytorch');
    assert.ok(r.verify!.maxAbsDiff <= 1e-4, `${name}: max |Δ logits| ${r.verify!.maxAbsDiff}`);
    assert.equal(r.verify!.agreement, 1);
    for (const f of ['model.py', 'model.pt', 'labels.json', 'preprocessing.json']) assert.ok(existsSync(join(out, f)), f);
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'preprocessing.json'), 'utf8')).mean, [0.286]);
    assert.match(readFileSync(join(out, 'model.py'), 'utf8'), /^class Model\(nn\.Module\):$/m);
  }
  // The user's own code: construct with no arguments, load the state_dict strictly, train a step.
  const user = spawnSync(torchPython!, ['-c', `
import sys, torch
sys.path.insert(0, ${JSON.stringify(join(dir, 'se-mobilenetv3-demo'))})
from model import Model
net = Model()
net.load_state_dict(torch.load(${JSON.stringify(join(dir, 'se-mobilenetv3-demo', 'model.pt'))}))
opt = torch.optim.SGD(net.parameters(), lr=0.1)
loss = torch.nn.functional.cross_entropy(net(torch.randn(4, 1, 28, 28)), torch.tensor([0, 1, 2, 3]))
loss.backward(); opt.step()
print(sum(p.numel() for p in net.parameters()))
`], { encoding: 'utf8' });
  assert.equal(user.status, 0, user.stderr);
  assert.ok(Number(user.stdout.trim()) > 10_000);
});
