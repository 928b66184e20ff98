/**
 * The api's compare, export and fine-tune jobs through the service: compare of two session models
 * equals `compareModels` on the same images (and a model against itself differs by zero); an ONNX
 * int8 export writes the file and reports onnxruntime-node's verification; a short fine-tune adds
 * a child model with training progress events; a cancelled fine-tune leaves the model unchanged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serviceHarness } from './service-harness.js';
import type { CompareResult, DataChoice, ExportResult, FinetuneResult } from './contract.js';
import { buildZooModel } from '../model/zoo/index.js';
import { openDataset, sampleIndices } from '../data/index.js';
import { compareModels } from '../eval/compare.js';

const MODEL = 'zoo:se-mobilenet-demo';

const harness = () => serviceHarness();

test('compare of session models equals compareModels; the same model twice differs by zero', { timeout: 60_000 }, async () => {
  const { service, until } = harness();
  try {
    const a = await service.openModel({ model: MODEL });
    const b = await service.openModel({ model: 'zoo:se-shufflenet-demo' });
    const data: DataChoice = { data: 'fashion-mnist', split: 'test', limit: 60, seed: 2, preprocess: a.preprocessing };
    await assert.rejects(service.compare({ modelIds: [a.id], data }), /at least two models/);
    const job = await service.compare({ modelIds: [a.id, b.id, a.id], data, latency: false });
    const done = await until(job.jobId);
    assert.equal(done.type, 'done', JSON.stringify(done));
    const r = (done as { result: CompareResult }).result.report;
    const ds = await openDataset({ data: 'fashion-mnist', split: 'test', limit: 60, seed: 2, preprocess: a.preprocessing });
    const direct = await compareModels([buildZooModel('se-mobilenet-demo'), buildZooModel('se-shufflenet-demo')].map((g) => ({ label: '', graph: g, fileBytes: 0 })), ds, sampleIndices(await ds.labels(), 60, 2), { latency: false });
    assert.deepEqual(r.rows.slice(0, 2).map((x) => [x.top1, x.top5, x.params, x.macs, x.perClass.map((c) => c.top1)]), direct.rows.map((x) => [x.top1, x.top5, x.params, x.macs, x.perClass.map((c) => c.top1)]));
    assert.deepEqual([r.diffs[2].top1, r.diffs[2].params, r.diffs[2].macs, r.diffs[2].fileBytes], [0, 0, 0, 0]);
    assert.ok(r.rows[0].fileBytes > 0);
  } finally {
    service.close();
  }
});

test('export ONNX int8 + fp32 into a folder, each verified in onnxruntime-node; existing files need force', { timeout: 60_000 }, async () => {
  const { service, until } = harness();
  const dir = mkdtempSync(join(tmpdir(), 'seprune-api-export-'));
  try {
    const m = await service.openModel({ model: MODEL });
    const formats = await service.exportFormats();
    assert.deepEqual(formats.find((f) => f.format === 'onnx')?.quant.includes('int8'), true);
    const data: DataChoice = { data: 'fashion-mnist', split: 'test', limit: 32, seed: 0, preprocess: m.preprocessing };
    const req = { modelId: m.id, outDir: dir, targets: [{ format: 'onnx', quant: 'int8' }, { format: 'onnx', quant: 'fp32' }], data, force: false };
    await assert.rejects(service.exportModel({ ...req, outDir: join(dir, 'missing') }), /does not exist/);
    const job = await service.exportModel(req);
    const done = await until(job.jobId);
    assert.equal(done.type, 'done', JSON.stringify(done));
    const files = (done as { result: ExportResult }).result.files;
    assert.deepEqual(files.map((f) => f.quant), ['int8', 'fp32']);
    for (const f of files) {
      assert.ok(existsSync(f.file));
      assert.equal(statSync(f.file).size, f.bytes);
      assert.equal(f.verify[0].runtime, 'onnxruntime-node');
      assert.equal(f.verify[0].n, 32);
      assert.equal(f.verify[0].bytes, f.bytes);
    }
    assert.ok(files[0].bytes < files[1].bytes, 'int8 is smaller');
    await assert.rejects(service.exportModel(req), /already exists/);
  } finally {
    service.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fine-tune: progress events with loss, a new child model; cancel leaves the model as it was', { timeout: 90_000 }, async () => {
  const { service, events, until } = harness();
  try {
    const m = await service.openModel({ model: MODEL });
    const data: DataChoice = { data: 'fashion-mnist', split: 'train', limit: 16, seed: 0, preprocess: m.preprocessing };
    const req = { modelId: m.id, data, epochs: 1, batchSize: 8, lr: null, optimizer: 'sgd' as const, teacherId: m.id, evalLimit: 20 };
    await assert.rejects(service.finetune({ ...req, epochs: 0 }), /Epochs/);
    const backend = await service.trainBackend();
    assert.ok(backend.tried.some((t) => t.ok && t.name === backend.name));
    const job = await service.finetune(req);
    const done = await until(job.jobId);
    assert.equal(done.type, 'done', JSON.stringify(done));
    const r = (done as { result: FinetuneResult }).result;
    const train = events.filter((e) => e.jobId === job.jobId && e.type === 'progress' && e.train);
    assert.ok(train.length >= 1);
    const last = train[train.length - 1] as { train: { steps: number; loss: number } };
    assert.equal(last.train.steps, 2);
    assert.ok(Number.isFinite(last.train.loss));
    assert.equal(m.origin.kind, 'opened');
    assert.deepEqual(r.model.origin, { kind: 'finetuned', parent: m.id, path: m.origin.path });
    assert.equal(r.evalN, 20);
    assert.equal(r.model.summary.params, m.summary.params);
    assert.notEqual(r.model.hash, m.hash);

    const big = await service.finetune({ ...req, data: { ...data, limit: 2000 } });
    for (let i = 0; i < 400 && !events.some((e) => e.jobId === big.jobId && e.type === 'progress' && e.train); i++) await new Promise((res) => setTimeout(res, 50));
    assert.deepEqual(await service.cancelJob({ jobId: big.jobId }), { cancelled: true });
    assert.equal((await until(big.jobId)).type, 'cancelled');
    // No model was added, and the trained model's weights still give the original's accuracy.
    const again = await service.openModel({ model: MODEL });
    assert.equal(again.id, 'm3');
    const cmp = await service.compare({ modelIds: [again.id, m.id], data: { ...data, split: 'test', limit: 40 }, latency: false });
    const cd = await until(cmp.jobId);
    const d = (cd as { result: CompareResult }).result.report.diffs[1];
    assert.deepEqual([d.top1, d.top5, d.params, d.macs, ...d.perClass], new Array(4 + d.perClass.length).fill(0));
  } finally {
    service.close();
  }
});
