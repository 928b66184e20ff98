/**
 * A format, an exporter, a criterion and a training engine are each one file plus one registry
 * line: the throwaway ones in ./throwaway/ (registered by ./throwaway/register.ts, the only line each needs) show up
 * in the CLI's help and work there, in the API's lists, its file browser and upload check, and in
 * the lists the page makes from the API (accept, drop check, the sentence naming model files).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import './throwaway/register.js';
import { createService } from '../../app/api/service.js';
import { checkUploadHeader } from '../../app/api/upload.js';
import { acceptOf, formatsInWords, isModelFile, namesInWords } from '../../renderer/src/model-formats.js';

const ROOT = resolve(import.meta.dirname, '../..');
const REGISTER = join(ROOT, 'test/architecture/throwaway/register.ts');

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', REGISTER, join(ROOT, 'bin/seprune.mjs'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the CLI lists the throwaway reader, exporter, criterion and engine in its help and uses each', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'seprune-registry-'));
  try {
    assert.match(cli('--help').stdout, /Models: a file \(\.seprune, \.onnx, TF\.js model\.json, \.toy\)/);
    assert.match(cli('inspect', '--help').stdout, /\.toy\) or zoo:<name>/);
    assert.match(cli('export', '--help').stdout, /--format onnx\|tfjs\|tflite\|pytorch\|toyfmt/);
    assert.match(cli('prune', '--help').stdout, /toy-index \(the channel index \(a test criterion\)\)/);
    assert.match(cli('finetune', '--help').stdout, /--engine auto\|torch\|tfjs\|toy-engine/);

    const model = join(dir, 'm.toy');
    writeFileSync(model, 'se-resnet-demo\n');
    const inspect = cli('inspect', model);
    assert.equal(inspect.status, 0, inspect.stderr);
    assert.match(inspect.stdout, /params 80,442/);
    const pruned = join(dir, 'p.seprune');
    const prune = cli('prune', model, '--criterion', 'toy-index', '--target-macs', '0.7', '--fold-se', 'none', '--out', pruned, '--json');
    assert.equal(prune.status, 0, prune.stderr);
    const report = JSON.parse(prune.stdout) as { criterion: string; macsAfter: number; macsBefore: number };
    assert.equal(report.criterion, 'toy-index');
    assert.ok(Math.abs(report.macsAfter / report.macsBefore - 0.7) < 0.02, `${report.macsAfter / report.macsBefore}`);
    const out = join(dir, 'p.toyfmt');
    const exp = cli('export', pruned, '--format', 'toyfmt', '--out', out, '--data', 'fashion-mnist', '--limit', '20', '--no-baseline', '--json');
    assert.equal(exp.status, 0, exp.stderr);
    const verify = (JSON.parse(exp.stdout) as { verify: { runtime: string; agreement: number } }).verify;
    assert.equal(verify.runtime, 'toy executor');
    assert.equal(verify.agreement, 1);
    assert.ok(existsSync(out));
    const tuned = join(dir, 't.seprune');
    const ft = cli('finetune', pruned, '--engine', 'toy-engine', '--data', 'fashion-mnist', '--limit', '32', '--batch', '16', '--epochs', '1', '--eval-limit', '20', '--workers', '0', '--out', tuned, '--json');
    assert.equal(ft.status, 0, ft.stderr);
    const tj = JSON.parse(ft.stdout) as { engine: string; engineWhy: string; epochs: number };
    assert.deepEqual([tj.engine, tj.engineWhy, tj.epochs], ['toy-engine', 'asked for with --engine toy-engine', 1]);
    assert.ok(existsSync(tuned));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the API, its file browser and upload check, and the page\'s lists include them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'seprune-registry-'));
  const service = createService({ emit: () => {}, recent: null });
  try {
    const formats = await service.modelFormats();
    assert.deepEqual(formats.map((f) => f.name), ['.seprune', '.onnx', 'TF.js model.json', '.toy', '.tflite']);
    assert.ok((await service.exportFormats()).some((f) => f.format === 'toyfmt' && f.quant.join() === 'fp32'));
    assert.ok((await service.listCriteria()).includes('toy-index'));
    writeFileSync(join(dir, 'm.toy'), 'se-resnet-demo\n');
    writeFileSync(join(dir, 'notes.txt'), 'not a model');
    const listing = await service.browse({ path: dir, kind: 'model' });
    assert.deepEqual(listing.entries.map((e) => e.name), ['m.toy']);
    assert.equal(checkUploadHeader({ files: [{ name: 'm.toy', bytes: 15 }] }).main, 0);
    assert.equal((await service.openModel({ model: join(dir, 'm.toy') })).summary.params, 80442);

    assert.equal(acceptOf(formats), '.seprune,.onnx,.json,.bin,.toy,.tflite');
    assert.ok(isModelFile(formats, 'M.TOY') && !isModelFile(formats, 'weights.bin'));
    assert.equal(formatsInWords(formats), 'a .seprune, .onnx, a TF.js model.json with its weight files, .toy, or .tflite');
    assert.equal(namesInWords(formats), '.seprune, .onnx, TF.js model.json, .toy or .tflite');
  } finally {
    service.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
