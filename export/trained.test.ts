/**
 * Issue 5's accuracy targets on the trained demo models (zoo:*-demo-fmnist, ~78 % on
 * Fashion-MNIST): each model exported as fp16 and int8 in ONNX, TFLite and TF.js, every file run
 * in its own runtime (onnxruntime-node and -web, the TFLite interpreter, @tensorflow/tfjs) on
 * class-balanced Fashion-MNIST test images, and compared with the float model on the same images:
 * int8 top-1 within 1 point of float, fp16 within 0.1 point, the int8 size rule (export/size-rule.ts);
 * the fp32 file of each format matches the executor (max |Δ| ≤ 1e-4).
 *
 * Images come from the subset shipped in app/data/builtin (what CI has; it is used even where
 * Debian's full copy is installed, so every machine measures the same images): all 2,000 test
 * images (200 per class) for ONNX and TFLite, 1,000 of them (100 per class) for TF.js, whose cpu
 * backend is ~5× slower; calibration: 500 train images (the CLI's default count).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { loadModel } from '../app/import/load.js';
import { trainedModelNames } from '../app/model/zoo/trained.js';
import { runGraph } from '../app/engine/executor.js';
import { seNodes } from '../app/model/ir.js';
import { verifyWritten } from './export-model.js';
import { onnxExporter } from './onnx/index.js';
import { tfliteExporter } from './tflite/index.js';
import { tfjsExporter } from './tfjs/index.js';
import { assertInt8Size, onnxCheck, pythonOnnxAvailable, shippedFashion, stageArtifact, tempDir } from './test-support.js';
import type { CalibBatch, Exporter } from './types.js';
import { ARMNN_CPUREF_IMAGES } from './tflite/armnn.js';

const MODELS = ['se-resnet-demo-fmnist', 'se-mobilenet-demo-fmnist', 'se-shufflenetv2-demo-fmnist'];
const EXPORTERS: [Exporter, number][] = [
  [onnxExporter, 2000],
  [tfliteExporter, 2000],
  [tfjsExporter, 1000],
];
const dir = tempDir();
const onnxFiles: string[] = [];

test('the three trained demo models ship with the repository', () => {
  assert.deepEqual(trainedModelNames(['se-resnet-demo', 'se-mobilenet-demo', 'se-shufflenetv2-demo']), MODELS);
});

for (const name of MODELS) {
  test(`zoo:${name}: int8 top-1 within 1 point and fp16 within 0.1 point of float, in every format's runtime`, async (t) => {
    const m = await loadModel(`zoo:${name}`);
    const g = m.project.graph;
    const pp = m.project.preprocessing!;
    const test2000 = await shippedFashion(pp, 'test', 2000);
    const test1000 = await shippedFashion(pp, 'test', 1000);
    const calibData = await shippedFashion(pp, 'train', 500);
    const calib = async function* (): AsyncIterable<CalibBatch> {
      yield* calibData;
    };
    const meta = { source: `zoo:${name}`, sourceHash: m.hash, labels: m.project.labels, preprocessing: pp };
    for (const [e, images] of EXPORTERS) {
      await t.test(e.format, async () => {
        const data = images === 2000 ? test2000 : test1000;
        const sizes: Record<string, number> = {};
        for (const quant of ['fp32', 'fp16', 'int8'] as const) {
          const a = await e.write(g, { quant, meta, calib });
          const bytes = a.files.reduce((s, f) => s + f.data.length, 0);
          sizes[quant] = bytes;
          const path = stageArtifact(dir, `${name}-${e.format}-${quant}`, e, a);
          if (quant === 'fp32') {
            // fp32: the file against the executor itself on 16 images, in every runtime of the format.
            const x = test1000[0].x.subarray(0, 16 * 28 * 28);
            const want = (await runGraph(g, x, 16)).outputs[0];
            for (const r of await e.open(path, g)) {
              const got = await r.run(x, 16);
              await r.release();
              let d = 0;
              for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(want[i] - got[i]));
              assert.ok(d <= 1e-4, `${name} ${e.format} fp32 in ${r.runtime} vs executor: max |Δ| ${d}`);
            }
            rmSync(path, { recursive: true, force: true });
            continue;
          }
          if (quant === 'int8' && e.format !== 'tfjs') {
            // Gate-aware precision measures every SE block and reports what it kept float.
            const blocks = seNodes(g).map((n) => n.name);
            assert.deepEqual(a.gates?.map((m) => m.block), blocks, `${name} ${e.format} int8: a gate measurement per SE block`);
            for (const m of a.gates!) assert.ok(Number.isFinite(m.outputErrRatio) && m.gateMeanAbsErr <= m.gateMaxAbsErr, JSON.stringify(m));
            // ONNX keeps every gate path float (smaller in QDQ form); TFLite follows the measurement.
            for (const m of a.gates!) assert.equal(m.keptFloat, e.format === 'onnx' || m.int8Hurts, `${name} ${e.format} ${JSON.stringify(m)}`);
            const kept = a.gates!.filter((m) => m.keptFloat).map((m) => m.block);
            assert.equal(a.keptFloat.length > 0, kept.length > 0, `${name} ${e.format}: keptFloat ${a.keptFloat.length} entries for ${kept.length} float gate paths`);
            t.diagnostic(`${name} ${e.format} int8 gates (block: output error ratio): ${a.gates!.map((m) => `${m.block} ${m.outputErrRatio}${m.int8Hurts ? ' (int8 hurts)' : ''}${m.keptFloat ? ' float' : ''}`).join(', ')}`);
            if (e.format === 'tflite') {
              assert.ok(a.weights && a.weights.length > 0, `${name} tflite int8 reports the filter granularity per layer`);
              t.diagnostic(`${name} tflite int8 per-tensor filters: ${a.weights.filter((w) => w.granularity === 'per-tensor').map((w) => `${w.layer} (${w.noiseRatio})`).join(', ')}`);
            }
          }
          const reports = await verifyWritten(e, path, g, data, bytes, 0);
          if (e.format === 'onnx') onnxFiles.push(path);
          else rmSync(path, { recursive: true, force: true });
          assert.ok(reports.length >= 1);
          for (const r of reports) {
            const what: string = `${name} ${e.format} ${quant} in ${r.runtime}: top-1 ${r.top1} vs float ${r.top1Float} on ${r.n} images`;
            if (r.refused !== undefined) {
              // Arm NN 22's TFLite parser wants constant filters; an fp16 file dequantizes its
              // filters at run time (DEQUANTIZE -> CONV_2D), which it refuses. Reported, and only that.
              assert.ok(quant === 'fp16' && r.runtime.startsWith('Arm NN') && /has 0 bytes/.test(r.refused), `${what}: ${r.refused}`);
              t.diagnostic(`${what}: refused (${r.refused})`);
              continue;
            }
            if (r.caveat) {
              // Arm NN 22 fills an int8 PAD with 0 instead of the zero point (a fault found with one- and
              // two-operator models, see the closing note of issue #17): reported, not held to the bound.
              t.diagnostic(`${what}; agreement with ${reports[0].runtime} ${r.agreementWithFirst}; ${r.caveat}`);
              continue;
            }
            // Arm NN's CpuRef is measured on the first ≥ 200 images (export/tflite/armnn.ts).
            if (r.runtime.startsWith('Arm NN')) assert.ok(r.n >= Math.min(images, ARMNN_CPUREF_IMAGES) && r.n <= images, what);
            else assert.equal(r.n, images);
            assert.ok(r.top1Float! >= 0.74, what); // the model is the trained one
            const tolerance = quant === 'int8' ? 0.01 : 0.001;
            assert.ok(Math.abs(r.top1! - r.top1Float!) <= tolerance, what);
            t.diagnostic(`${what}; agreement ${r.agreement}; max |Δ| ${r.maxAbsDiff.toExponential(2)}; ${bytes} B`);
          }
        }
        t.diagnostic(assertInt8Size(g, sizes.int8, sizes.fp32, `${name} ${e.format}`));
        assert.ok(sizes.fp16 <= 0.55 * sizes.fp32, `${name} ${e.format} fp16 ${sizes.fp16} B vs fp32 ${sizes.fp32} B`);
      });
    }
  });
}

test('the trained models\' fp16 and int8 ONNX files pass onnx.checker.check_model(full_check=True)', { skip: pythonOnnxAvailable() ? false : '/usr/bin/python3 with python3-onnx is not installed' }, () => {
  assert.equal(onnxFiles.length, 2 * MODELS.length);
  assert.equal(onnxCheck(onnxFiles), '');
});

test('cleanup', () => rmSync(dir, { recursive: true, force: true }));
