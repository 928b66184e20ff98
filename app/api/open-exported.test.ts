/**
 * The app opens what it exports: the trained Fashion-MNIST demo model, exported through the
 * service as int8 ONNX, int8 TFLite and fp16/fp32 TF.js, opens again as read-only session models
 * whose parameters, MACs and diagram are the float model's (found by the source hash their
 * metadata carries). Compare runs each file in its own runtime — here in a job process of its own,
 * as the app does — and its top-1 stays within 3 points of the float model's; statistics, prune,
 * fine-tune, export and undo are refused with one sentence. A file whose source is neither open
 * nor where its metadata says is refused with what to do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serviceHarness } from './service-harness.js';
import { forkJobProcess, processHost } from './job-host.js';
import { appMessage } from './error-words.js';
import { diskBytes } from '../eval/compare.js';
import { ReadOnlyModelError, UserError } from '../model/errors.js';
import type { CompareResult, DataChoice, ExportResult, ModelInfo } from './contract.js';

const MODEL = 'zoo:se-mobilenet-demo-fmnist';

const harness = (inProcess = false) => serviceHarness(inProcess ? {} : { jobs: processHost(() => forkJobProcess()) }, 300_000);

test('exported files open read-only beside their float model, compare in their own runtimes and refuse changes', { timeout: 600_000 }, async (t) => {
  const { service, until } = harness();
  const dir = mkdtempSync(join(tmpdir(), 'seprune-api-open-exported-'));
  try {
    const float = await service.openModel({ model: MODEL });
    const data: DataChoice = { data: 'fashion-mnist', split: 'test', limit: 100, seed: 0, preprocess: float.preprocessing };
    const targets = [
      { format: 'onnx', quant: 'int8' },
      { format: 'tflite', quant: 'int8' },
      { format: 'tfjs', quant: 'fp16' },
      { format: 'tfjs', quant: 'fp32' },
    ];
    const job = await service.exportModel({ modelId: float.id, outDir: dir, targets, data: { ...data, limit: 64 }, force: false });
    const done = await until(job.jobId);
    assert.equal(done.type, 'done', JSON.stringify(done).slice(0, 500));
    const files = (done as { result: ExportResult }).result.files.map((f) => f.file);
    assert.equal(files.length, 4);

    const opened: ModelInfo[] = [];
    const want: [RegExp, RegExp, string][] = [
      [/^int8 ONNX$/, /^onnxruntime-node$/, 'onnxruntime'],
      [/^TFLite int8$/, /^tflite/, 'the TFLite interpreter'],
      [/^TF\.js graph model \(fp16\)$/, /^@tensorflow\/tfjs .*loadGraphModel/, 'TensorFlow.js'],
      [/^TF\.js graph model \(fp32\)$/, /^@tensorflow\/tfjs .*loadGraphModel/, 'TensorFlow.js'],
    ];
    for (const [i, file] of files.entries()) {
      const m = await service.openModel({ model: file });
      const [format, , runtime] = want[i];
      assert.match(m.readOnly?.format ?? '', format, file);
      assert.ok(m.readOnly?.reason.includes(`runs in ${runtime} as written`), m.readOnly?.reason);
      assert.deepEqual(m.origin, { kind: 'exported', parent: float.id, path: file });
      assert.equal(m.summary.params, float.summary.params);
      assert.equal(m.summary.macs, float.summary.macs);
      assert.deepEqual(m.diagram, float.diagram);
      assert.deepEqual(m.classNames, float.classNames);
      assert.deepEqual(m.preprocessing.mean, float.preprocessing.mean, 'preprocessing from the file\'s metadata');
      assert.notEqual(m.hash, float.hash);
      opened.push(m);
    }
    assert.deepEqual(
      opened.map((m) => m.readOnly?.format),
      ['int8 ONNX', 'TFLite int8', 'TF.js graph model (fp16)', 'TF.js graph model (fp32)'],
    );

    // Compare in a job process: each file reopened there by its path, run in its runtime.
    const cmp = await service.compare({ modelIds: [float.id, ...opened.map((m) => m.id)], data, latency: false });
    const cd = await until(cmp.jobId);
    assert.equal(cd.type, 'done', JSON.stringify(cd).slice(0, 500));
    const r = (cd as { result: CompareResult }).result.report;
    assert.equal(r.rows.length, 5);
    assert.equal(r.data.n, 100);
    t.diagnostic(r.rows.map((row) => `${row.model.split('/').pop()}: top-1 ${row.top1} (${row.engine}, ${row.fileBytes} B)`).join('; '));
    for (const [i, row] of r.rows.slice(1).entries()) {
      assert.match(row.engine, want[i][1], row.model);
      assert.equal(row.params, r.rows[0].params);
      assert.equal(row.macs, r.rows[0].macs);
      assert.equal(row.fileBytes, files[i].endsWith('tfjs') ? diskBytes(join(files[i], 'model.json')) : statSync(files[i]).size);
      assert.ok(Math.abs(row.top1 - r.rows[0].top1) <= 0.03, `${row.model}: top-1 ${row.top1} against float ${r.rows[0].top1}`);
    }
    assert.ok(r.rows[0].top1 > 0.5, `the trained float model: top-1 ${r.rows[0].top1}`);
    assert.ok(r.rows[1].fileBytes < r.rows[4].fileBytes / 2, 'int8 ONNX is smaller than fp32 TF.js');

    // Every change is refused with one sentence; nothing was started.
    const ro = opened[0];
    const sentence = /^This int8 ONNX file runs as written and cannot /;
    const prune = { modelId: ro.id, criterion: 'l1', residual: 'couple' as const, target: { targetMacs: 0.7 }, minChannels: 8, roundTo: 1, fold: { mode: 'none' as const, constant: 0.01, identity: 0.01 } };
    const refused = async (p: Promise<unknown>, what: RegExp): Promise<void> => {
      await assert.rejects(p, (e: unknown) => e instanceof ReadOnlyModelError && sentence.test(e.message) && what.test(e.message) && appMessage(e).includes('open the float model'));
    };
    await refused(service.runStats({ modelId: ro.id, ...data, split: 'train' }), /statistics/);
    await refused(service.previewPrune(prune), /be pruned\.$/);
    await refused(service.prune(prune), /be pruned\.$/);
    await refused(service.finetune({ modelId: ro.id, teacherId: null, data, epochs: 1, batchSize: 8, lr: null, optimizer: 'sgd', evalLimit: 10 }), /fine-tuned/);
    await refused(service.exportModel({ modelId: ro.id, outDir: dir, targets: [{ format: 'onnx', quant: 'fp32' }], data, force: true }), /exported again/);
    await refused(service.undo({ modelId: ro.id }), /undone/);
    await assert.rejects(service.finetune({ modelId: float.id, teacherId: ro.id, data, epochs: 1, batchSize: 8, lr: null, optimizer: 'sgd', evalLimit: 10 }), /cannot teach/);
    // The file the session opened is never an export's output.
    await assert.rejects(service.exportModel({ modelId: float.id, outDir: dir, targets: [{ format: 'onnx', quant: 'int8' }], data, force: true }), /Refusing to overwrite the input file/);
  } finally {
    service.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an exported file whose source is neither open nor where its metadata says: one sentence saying what to do', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'seprune-api-orphan-'));
  const a = harness(true);
  const b = harness(true);
  try {
    // A float model that is a file: the zoo model exported as fp32 ONNX, opened through the IR.
    const zoo = await a.service.openModel({ model: MODEL });
    const data: DataChoice = { data: 'fashion-mnist', split: 'test', limit: 16, seed: 0, preprocess: zoo.preprocessing };
    const first = await a.until((await a.service.exportModel({ modelId: zoo.id, outDir: dir, targets: [{ format: 'onnx', quant: 'fp32' }], data, force: false })).jobId);
    assert.equal(first.type, 'done', JSON.stringify(first).slice(0, 500));
    const floatFile = (first as { result: ExportResult }).result.files[0].file;
    const float = await a.service.openModel({ model: floatFile });
    assert.equal(float.readOnly, undefined, 'an fp32 ONNX opens through the IR');
    const out = join(dir, 'int8');
    mkdirSync(out);
    const second = await a.until((await a.service.exportModel({ modelId: float.id, outDir: out, targets: [{ format: 'onnx', quant: 'int8' }], data, force: false })).jobId);
    assert.equal(second.type, 'done', JSON.stringify(second).slice(0, 500));
    const int8 = (second as { result: ExportResult }).result.files[0].file;

    // Its source at its path: found there even in a session that never opened it (no parent).
    const viaPath = await b.service.openModel({ model: int8 });
    assert.equal(viaPath.origin.parent, undefined);
    assert.equal(viaPath.summary.params, float.summary.params);

    rmSync(floatFile);
    // Still open in the first session: matched by its hash, not its path.
    assert.equal((await a.service.openModel({ model: int8 })).origin.parent, float.id);
    // Neither open nor on disk.
    await assert.rejects(b.service.openModel({ model: int8 }), (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.equal(e.message, `${int8.split('/').pop()} was exported from ${floatFile}, which is neither open in this session nor opens from where its metadata says; open the model it was exported from first, then this file.`);
      return true;
    });
  } finally {
    a.service.close();
    b.service.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
