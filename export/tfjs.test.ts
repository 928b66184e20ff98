/**
 * TF.js graph-model export of every zoo demo family in fp32, fp16 (float16 weights) and int8
 * (uint8 weights), each folder loaded by @tensorflow/tfjs's loadGraphModel and compared with the
 * float model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildZooModel } from '../app/model/zoo/index.js';
import { runGraph } from '../app/engine/executor.js';
import { OutputExistsError, UserError } from '../app/model/errors.js';
import { useFastCpuKernels, fastCpuKernelsActive } from '../app/engine/kernels/register.js';
import { tfjsExporter } from './tfjs/index.js';
import { verifyWritten, exportModel } from './export-model.js';
import { assertInt8Size, DEMO_FAMILIES, fashion, stageArtifact, tempDir } from './test-support.js';

const dir = tempDir();

test('TF.js export × demo families × precisions, verified with @tensorflow/tfjs loadGraphModel', async (t) => {
  const data = await fashion('test', 200);
  for (const name of DEMO_FAMILIES) {
    await t.test(name, async () => {
      const g = buildZooModel(name);
      const meta = { source: `zoo:${name}`, sourceHash: 'h', labels: ['a', 'b'] };
      const folderBytes: Record<string, number> = {};
      for (const quant of ['fp32', 'fp16', 'int8'] as const) {
        const a = await tfjsExporter.write(g, { quant, meta });
        const path = stageArtifact(dir, `${name}-${quant}`, tfjsExporter, a);
        const json = JSON.parse(readFileSync(join(path, 'model.json'), 'utf8'));
        assert.equal(json.format, 'graph-model');
        assert.equal(json.userDefinedMetadata.labels, '["a","b"]');
        const bytes = a.files.reduce((s, f) => s + f.data.length, 0);
        folderBytes[quant] = bytes;
        if (quant === 'fp32') {
          const [r] = await tfjsExporter.open(path, g);
          const x = data[0].x.subarray(0, 16 * 28 * 28);
          const want = (await runGraph(g, x, 16)).outputs[0];
          const got = await r.run(x, 16);
          await r.release();
          let d = 0;
          for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(want[i] - got[i]));
          assert.ok(d <= 1e-4, `${name} fp32 vs executor: max |Δ| ${d}`);
          continue;
        }
        // fp16: the full 200 images; int8: 100.
        const [r] = await verifyWritten(tfjsExporter, path, g, quant === 'fp16' ? data : data.slice(0, 1), bytes, 0);
        if (quant === 'fp16') {
          assert.equal(r.n, 200);
          assert.ok(r.agreement >= 0.995, `${name} fp16: agreement ${r.agreement}`);
          assert.ok(Math.abs(r.top1! - r.top1Float!) <= 0.005, `${name} fp16 top-1 ${r.top1} vs ${r.top1Float}`);
          assert.ok(r.maxAbsDiff <= 2e-3, `${name} fp16: max |Δ| ${r.maxAbsDiff}`);
        } else {
          assert.equal(r.n, 100);
          assert.ok(r.agreement >= 0.99, `${name} int8: agreement ${r.agreement}`);
          assert.ok(r.maxAbsDiff <= 0.05, `${name} int8: max |Δ| ${r.maxAbsDiff}`);
        }
      }
      // The whole folder (model.json + shards): uint8 under the size rule, float16 ≤ 56 %.
      t.diagnostic(assertInt8Size(g, folderBytes.int8, folderBytes.fp32, `${name} tfjs uint8 folder`));
      assert.ok(folderBytes.fp16 <= 0.56 * folderBytes.fp32, `${name} float16 folder ${folderBytes.fp16} B vs fp32 ${folderBytes.fp32} B`);
    });
  }
});

test('TF.js verification does not lean on this project\'s cpu kernels: tfjs\' own kernels give the same logits', async () => {
  // In-process, the cpu backend runs the fast kernels of app/engine/kernels (registered for
  // training); the figures TF.js verification reports must hold for the kernels users run.
  const data = await fashion('test', 32);
  const g = buildZooModel('se-mobilenetv3-demo');
  const a = await tfjsExporter.write(g, { quant: 'int8', meta: { source: 'x', sourceHash: 'y' } });
  const path = stageArtifact(dir, 'own-kernels', tfjsExporter, a);
  const [r] = await tfjsExporter.open(path, g);
  const was = fastCpuKernelsActive();
  try {
    useFastCpuKernels(true);
    const fast = await r.run(data[0].x, data[0].n);
    useFastCpuKernels(false);
    const own = await r.run(data[0].x, data[0].n);
    let d = 0;
    for (let i = 0; i < own.length; i++) d = Math.max(d, Math.abs(own[i] - fast[i]));
    assert.ok(d <= 1e-4, `max |Δ| between tfjs' kernels and ours: ${d}`);
  } finally {
    useFastCpuKernels(was);
    await r.release();
  }
});

test('a truncated weight shard is refused by TF.js with its own message', async () => {
  const g = buildZooModel('se-mobilenet-demo');
  const a = await tfjsExporter.write(g, { quant: 'fp32', meta: { source: 'x', sourceHash: 'y' } });
  const path = stageArtifact(dir, 'truncated', tfjsExporter, a);
  const shard = readdirSync(path).find((f) => f.endsWith('.bin'))!;
  const bytes = readFileSync(join(path, shard));
  writeFileSync(join(path, shard), bytes.subarray(0, bytes.length - 100));
  await assert.rejects(tfjsExporter.open(path, g), (e: Error) => e instanceof UserError && /^TensorFlow\.js cannot load this model: .+\.$/.test(e.message));
});

test('TF.js output folder: written whole, not replaced without --force', async () => {
  const g = buildZooModel('se-resnet-demo');
  const out = join(dir, 'web');
  const req = { graph: g, format: 'tfjs', quant: 'fp16' as const, meta: { source: 'x', sourceHash: 'y' }, verify: false, out };
  const r = await exportModel(req);
  assert.deepEqual(readdirSync(out).sort(), ['group1-shard1of1.bin', 'model.json']);
  assert.equal(r.bytes, readdirSync(out).reduce((s, f) => s + readFileSync(join(out, f)).length, 0));
  await assert.rejects(exportModel(req), (e) => e instanceof OutputExistsError && e.path === req.out);
  await exportModel({ ...req, force: true });
  assert.ok(existsSync(join(out, 'model.json')));
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('.web')), []);
});
