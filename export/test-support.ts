/** Shared fixtures for the export tests: Fashion-MNIST images, staging a written artifact, the ONNX checker. */
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { openDataset, sampleIndices } from '../app/data/index.js';
import { SHIPPED_FASHION_MNIST } from '../app/data/builtin.js';
import assert from 'node:assert/strict';
import type { Graph, Preprocessing } from '../app/model/ir.js';
import { costReport } from '../app/model/accounting.js';
import { int8SizeReport } from './size-rule.js';
import type { EvalBatch } from './verify/measure.js';
import type { ExportArtifact, Exporter } from './types.js';
import { writeArtifact } from './write-output.js';

export const DEMO_FAMILIES = ['se-resnet-demo', 'se-mobilenet-demo', 'se-mobilenetv3-demo', 'se-shufflenet-demo', 'se-shufflenetv2-demo'];

export async function fashion(split: 'train' | 'test', limit: number, batch = 100): Promise<EvalBatch[]> {
  const ds = await openDataset({ data: 'fashion-mnist', split, preprocess: { mean: [0], std: [1], channels: 1 } });
  const idx = sampleIndices(await ds.labels(), limit, 0);
  const out: EvalBatch[] = [];
  for await (const b of ds.batches(idx, batch)) out.push({ x: b.x, y: b.y, n: b.y.length });
  return out;
}

/**
 * Class-balanced Fashion-MNIST images from the subset shipped in app/data/builtin (6,000 train,
 * 2,000 test), whether or not Debian's full copy is installed: the same images on every machine.
 */
export async function shippedFashion(preprocess: Preprocessing, split: 'train' | 'test', limit: number, batch = 100): Promise<EvalBatch[]> {
  const ds = await openDataset({ data: 'fashion-mnist', split, dataDir: SHIPPED_FASHION_MNIST, preprocess });
  const idx = sampleIndices(await ds.labels(), limit, 0);
  const out: EvalBatch[] = [];
  for await (const b of ds.batches(idx, batch)) out.push({ x: b.x, y: b.y, n: b.y.length });
  return out;
}

/**
 * The int8 size rule (export/size-rule.ts) as the tests apply it: ≤ 30 % of the fp32 file from
 * 100k parameters; below, the report must state the size and the fixed costs (nothing bounds it).
 * Returns the report's note for a test diagnostic; throws when the rule applies and is missed.
 */
export function assertInt8Size(g: Graph, int8Bytes: number, fp32Bytes: number, what: string): string {
  const r = int8SizeReport(costReport(g).params, int8Bytes, fp32Bytes);
  if (r.applies) assert.ok(r.met, `${what}: ${r.note}`);
  else assert.ok(r.fixedBytes > 0 && r.note.includes(`${int8Bytes} B`) && r.note.includes(`${r.fixedBytes} B`), `${what}: ${r.note}`);
  return `${what}: ${r.note}`;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'seprune-export-test-'));
}

/** Writes the artifact under `dir` the way `--out` would; returns the path. */
export function stageArtifact(dir: string, name: string, e: Exporter, a: ExportArtifact): string {
  const path = join(dir, e.output === 'file' ? `${name}.onnx` : name);
  if (e.output === 'folder') mkdirSync(path);
  writeArtifact(path, e.output, a, { force: true });
  return path;
}

/** Runs Debian's onnx checker (full_check) on the files; returns '' when all pass, else its stderr. */
export function onnxCheck(files: string[]): string {
  const code = 'import onnx,sys\nfor f in sys.argv[1:]: onnx.checker.check_model(onnx.load(f), full_check=True)';
  const r = spawnSync('/usr/bin/python3', ['-c', code, ...files], { encoding: 'utf8' });
  return r.status === 0 ? '' : `${r.stderr}${r.error ?? ''}`;
}

export function pythonOnnxAvailable(): boolean {
  return spawnSync('/usr/bin/python3', ['-c', 'import onnx'], { encoding: 'utf8' }).status === 0;
}
