/**
 * `seprune eval` on the files `seprune export` writes: an int8 ONNX (QDQ, which the IR cannot
 * represent) runs in onnxruntime, an int8 .tflite in the TFLite interpreter, a TF.js graph model
 * (by folder or model.json) in tfjs, each with the labels and preprocessing its metadata carries;
 * an fp32 ONNX export opens through the IR with them too. Top-1 on the same 300 test images stays
 * within 3 points of the float model's. `seprune compare` sets the files beside the float model,
 * their parameters and MACs from the model their metadata names as their source.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin', 'seprune.mjs');
const MODEL = 'zoo:se-mobilenet-demo-fmnist';
let dir = '';

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 240_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function evalJson(model: string): { engine: string; top1: number; n: number; file?: { format: string; exportedFrom?: string }; perClass: { name: string }[] } {
  const r = run('eval', model, '--data', 'fashion-mnist', '--limit', '300', '--no-latency', '--json');
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'seprune-eval-exported-'));
  for (const [format, quant, out] of [['onnx', 'int8', 'm8.onnx'], ['onnx', 'fp32', 'm32.onnx'], ['tflite', 'int8', 'm8.tflite'], ['tfjs', 'fp16', 'web16']]) {
    const r = run('export', MODEL, '--format', format, '--quant', quant, '--out', join(dir, out), '--data', 'fashion-mnist', '--limit', '200', '--no-verify', '--no-baseline');
    assert.equal(r.status, 0, r.stderr);
  }
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('eval runs each exported file in its own runtime, with the labels and preprocessing it carries', { timeout: 600_000 }, () => {
  const float = evalJson(MODEL);
  const cases: [string, RegExp, string | undefined][] = [
    [join(dir, 'm8.onnx'), /^onnxruntime-node$/, 'onnx'],
    [join(dir, 'm8.tflite'), /^tflite/, 'tflite'],
    [join(dir, 'web16'), /^@tensorflow\/tfjs .*loadGraphModel/, 'tfjs'],
    [join(dir, 'web16', 'model.json'), /^@tensorflow\/tfjs .*loadGraphModel/, 'tfjs'],
    [join(dir, 'm32.onnx'), /^onnxruntime-node$/, undefined], // the IR reads it: no `file`
  ];
  for (const [path, engine, format] of cases) {
    const j = evalJson(path);
    assert.match(j.engine, engine, path);
    assert.equal(j.file?.format, format, path);
    if (format) assert.equal(j.file?.exportedFrom, MODEL);
    assert.equal(j.n, float.n);
    assert.deepEqual(j.perClass.map((c) => c.name), float.perClass.map((c) => c.name), `${path}: the same classes`);
    assert.ok(Math.abs(j.top1 - float.top1) <= 0.03, `${path}: top-1 ${j.top1} against float ${float.top1}`);
  }
});

test('compare runs exported files beside the float model, parameters and MACs from their source', { timeout: 600_000 }, () => {
  const r = run('compare', MODEL, join(dir, 'm8.onnx'), join(dir, 'm8.tflite'), join(dir, 'web16'), '--data', 'fashion-mnist', '--limit', '300', '--no-latency', '--json');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { rows: { model: string; engine: string; top1: number; params: number; macs: number; fileBytes: number }[] };
  assert.deepEqual(j.rows.map((x) => x.engine.split(' ')[0]), ['onnxruntime-node', 'onnxruntime-node', 'tflite', '@tensorflow/tfjs']);
  for (const row of j.rows.slice(1)) {
    assert.equal(row.params, j.rows[0].params);
    assert.equal(row.macs, j.rows[0].macs);
    assert.ok(Math.abs(row.top1 - j.rows[0].top1) <= 0.03, `${row.model}: ${row.top1} against ${j.rows[0].top1}`);
  }
  assert.equal(j.rows[1].fileBytes, statSync(join(dir, 'm8.onnx')).size);

  // A file whose source model is gone: one sentence.
  const pruned = join(dir, 'p.seprune');
  assert.equal(run('prune', MODEL, '--target-macs', '0.7', '--criterion', 'l1', '--fold-se', 'none', '--out', pruned).status, 0);
  const orphan = join(dir, 'orphan.onnx');
  assert.equal(run('export', pruned, '--format', 'onnx', '--quant', 'int8', '--out', orphan, '--data', 'fashion-mnist', '--limit', '100', '--no-verify', '--no-baseline').status, 0);
  rmSync(pruned);
  const refused = run('compare', MODEL, orphan, '--data', 'fashion-mnist', '--limit', '50');
  assert.equal(refused.status, 1, refused.stderr);
  assert.match(refused.stderr.trim(), /^seprune: \S+orphan\.onnx was exported from \S+p\.seprune, which does not open here \(.*does not exist\); its parameters and MACs come from that model\.$/);
});
