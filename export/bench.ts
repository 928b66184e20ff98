/**
 * Export measurements for bench/RESULTS.md: the trained demo models (zoo:*-demo-fmnist) in every
 * format × precision, each file verified in its runtimes on class-balanced Fashion-MNIST test
 * images of the shipped subset (calibration: 500 of its train images), plus int8 without
 * gate-aware precision (all int8) and with every gate path float for ONNX and TFLite (ONNX's default
 * already keeps every gate float, so its two gate-float rows are the same file). Prints one
 * markdown table per format.
 * Run: node --import tsx export/bench.ts [--images 2000] [--formats onnx,tflite,tfjs] [--models a,b]
 */
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadModel } from '../app/import/load.js';
import { findExporter } from './registry.js';
import { verifyWritten } from './export-model.js';
import { shippedFashion, stageArtifact, tempDir } from './test-support.js';
import type { CalibBatch, Quant } from './types.js';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '2000' },
    formats: { type: 'string', default: 'onnx,tflite,tfjs' },
    models: { type: 'string', default: 'se-resnet-demo-fmnist,se-mobilenet-demo-fmnist,se-shufflenetv2-demo-fmnist' },
  },
});
const dir = tempDir();
const rows = new Map<string, string[]>();
const pct = (v: number | null) => (v === null ? '–' : (100 * v).toFixed(2));
for (const name of values.models!.split(',')) {
  const m = await loadModel(`zoo:${name}`);
  const g = m.project.graph;
  const pp = m.project.preprocessing!;
  const data = await shippedFashion(pp, 'test', Number(values.images));
  const calibData = await shippedFashion(pp, 'train', 500);
  const calib = async function* (): AsyncIterable<CalibBatch> {
    yield* calibData;
  };
  const meta = { source: `zoo:${name}`, sourceHash: m.hash, labels: m.project.labels, preprocessing: pp };
  for (const format of values.formats!.split(',')) {
    const e = findExporter(format, 'fp32');
    let fp32 = 0;
    const variants: [Quant, boolean | 'all'][] = [['fp32', true], ['fp16', true], ['int8', true], ...(format === 'tfjs' ? [] : ([['int8', 'all'], ['int8', false]] as [Quant, boolean | 'all'][]))];
    for (const [quant, gateAware] of variants) {
      const a = await e.write(g, { quant, meta, calib, gateAware });
      const bytes = a.files.reduce((s, f) => s + f.data.length, 0);
      if (quant === 'fp32') fp32 = bytes;
      const path = stageArtifact(dir, `${name}-${format}-${quant}-${gateAware}`, e, a);
      const reports = await verifyWritten(e, path, g, data, bytes, 30);
      const variant = quant === 'int8' && format !== 'tfjs' ? `int8 (${gateAware === 'all' ? 'all gates float' : gateAware ? (format === 'onnx' ? 'default: gates float, measured' : 'measured gates') : 'all int8'})` : quant;
      for (const r of reports) {
        const row = `| ${name} | ${variant} | ${bytes} | ${((100 * bytes) / fp32).toFixed(1)}% | ${r.runtime} | ${pct(r.top1Float)} | ${pct(r.top1)} | ${((100 * ((r.top1 ?? 0) - (r.top1Float ?? 0)))).toFixed(2)} | ${pct(r.agreement)} | ${r.maxAbsDiff.toExponential(2)} | ${r.latencyMs.toFixed(2)} |`;
        rows.set(format, [...(rows.get(format) ?? []), row]);
        console.error(`${format} ${row}`);
      }
      rmSync(path, { recursive: true, force: true });
    }
  }
}
rmSync(dir, { recursive: true, force: true });
for (const [format, list] of rows) {
  console.log(`\n${format}\n`);
  console.log('| model | precision | bytes | of fp32 | runtime | float top-1 % | top-1 % | Δ top-1 (pt) | argmax agreement % | max abs diff | batch-1 ms |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of list) console.log(r);
}
