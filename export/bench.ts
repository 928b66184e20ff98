/**
 * Export measurements for bench/RESULTS.md: every demo family × format × precision, verified in
 * its runtimes on Fashion-MNIST test images (calibration: train images), plus int8 ONNX with and
 * without gate-aware precision and with MinMax vs percentile calibration.
 * Run: node --import tsx export/bench.ts [--images 500] [--formats onnx,tfjs]
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildZooModel } from '../app/model/zoo/index.js';
import { graphHash } from '../app/model/load.js';
import { findExporter } from './registry.js';
import { verifyWritten } from './export-model.js';
import { DEMO_FAMILIES, fashion, stageArtifact, tempDir } from './test-support.js';
import type { CalibBatch, CalibMethod, Quant } from './types.js';

const { values } = parseArgs({ options: { images: { type: 'string', default: '500' }, formats: { type: 'string', default: 'onnx,tfjs' } } });
const data = await fashion('test', Number(values.images));
const calibData = await fashion('train', 200);
const calib = async function* (): AsyncIterable<CalibBatch> {
  yield* calibData;
};
const dir = tempDir();
const rows: string[] = [];
const pct = (v: number | null) => (v === null ? '–' : `${(100 * v).toFixed(1)}`);
for (const name of DEMO_FAMILIES) {
  const g = buildZooModel(name);
  const meta = { source: `zoo:${name}`, sourceHash: graphHash(g) };
  for (const format of values.formats!.split(',')) {
    const e = findExporter(format, 'fp32');
    let fp32 = 0;
    const variants: [Quant, boolean, CalibMethod][] = [
      ['fp32', true, 'minmax'],
      ['fp16', true, 'minmax'],
      ['int8', true, 'minmax'],
      ...(format === 'onnx' ? ([['int8', false, 'minmax'], ['int8', true, 'percentile']] as [Quant, boolean, CalibMethod][]) : []),
    ];
    for (const [quant, gateAware, method] of variants) {
      const a = await e.write(g, { quant, meta, calib, gateAware, calibMethod: method });
      const bytes = a.files.reduce((s, f) => s + f.data.length, 0);
      if (quant === 'fp32') fp32 = bytes;
      const path = stageArtifact(dir, `${name}-${format}-${quant}-${gateAware}-${method}`, e, a);
      const reports = await verifyWritten(e, path, g, data, bytes, 20);
      const variant = quant === 'int8' && format === 'onnx' ? `int8 (${gateAware ? 'gate-aware' : 'all int8'}, ${method})` : quant;
      for (const r of reports) {
        rows.push(
          `| ${name} | ${format} | ${variant} | ${bytes} | ${((100 * bytes) / fp32).toFixed(1)}% | ${r.runtime} | ${pct(r.top1)} | ${pct(r.top1Float)} | ${pct(r.agreement)} | ${r.maxAbsDiff.toExponential(2)} | ${r.latencyMs.toFixed(2)} |`,
        );
        console.error(rows[rows.length - 1]);
      }
      rmSync(path, { recursive: true, force: true });
    }
  }
}
rmSync(join(dir), { recursive: true, force: true });
console.log(`| model | format | precision | bytes | of fp32 | runtime | top-1 % | float top-1 % | argmax agreement % | max abs diff | batch-1 ms |`);
console.log(`|---|---|---|---|---|---|---|---|---|---|---|`);
for (const r of rows) console.log(r);
