/**
 * Gate-aware precision decides per SE block from a measurement (export/quantize/se-gate.ts): on
 * the trained zoo:se-resnet-demo-fmnist, one block is made int8-hostile — its gate logits spread
 * 10× wider and one channel's logit biased to +1000, so a per-tensor int8 grid over the logits
 * (step ≈ 4) rounds every other channel's logit to a multiple of 4 — while the other two blocks
 * are left as trained. The measurement must report exactly that block as hurt by int8 in ONNX and
 * TFLite; TFLite keeps exactly that gate path float, ONNX every gate path (float gate paths are
 * smaller in QDQ form). The real runtimes must show that it mattered: the gate-aware file agrees
 * with float far better than the all-int8 one (`gateAware: false`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { loadModel } from '../app/import/load.js';
import { seNodes, type Graph } from '../app/model/ir.js';
import { onnxExporter } from './onnx/index.js';
import { tfliteExporter } from './tflite/index.js';
import { verifyWritten } from './export-model.js';
import { GATE_OUTPUT_TOLERANCE } from './quantize/se-gate.js';
import { shippedFashion, stageArtifact, tempDir } from './test-support.js';
import type { CalibBatch } from './types.js';

const HURT = 'stage2.block0.se';

test('gate-aware int8 measures the SE gate that int8 hurts; TFLite keeps exactly it float, ONNX every gate (real runtimes)', async (t) => {
  const m = await loadModel('zoo:se-resnet-demo-fmnist');
  const g: Graph = structuredClone(m.project.graph);
  const se = seNodes(g).find((n) => n.name === HURT)!;
  assert.ok(se, `${HURT} exists`);
  se.weights.fc2 = se.weights.fc2.map((v) => 10 * v);
  se.weights.fc2Bias = (se.weights.fc2Bias ?? new Float32Array(se.attrs.channels)).slice();
  se.weights.fc2Bias[0] = 1000;
  const pp = m.project.preprocessing!;
  const calibData = await shippedFashion(pp, 'train', 200);
  const calib = async function* (): AsyncIterable<CalibBatch> {
    yield* calibData;
  };
  const data = await shippedFashion(pp, 'test', 500);
  const meta = { source: 'zoo:se-resnet-demo-fmnist (one SE gate made int8-hostile)', sourceHash: m.hash, labels: m.project.labels, preprocessing: pp };
  const dir = tempDir();
  try {
    for (const e of [onnxExporter, tfliteExporter]) {
      const agreement: Record<string, number> = {};
      for (const gateAware of [true, false]) {
        const a = await e.write(g, { quant: 'int8', meta, calib, gateAware });
        if (gateAware) {
          const gates = a.gates!;
          assert.equal(gates.length, 3);
          for (const b of gates) {
            const what = `${e.format} ${b.block}: ratio ${b.outputErrRatio}, gate error mean ${b.gateMeanAbsErr} max ${b.gateMaxAbsErr}`;
            t.diagnostic(what);
            if (b.block === HURT) {
              // Measured ≈ 8.6 (gate error mean 0.12): far above the tolerance.
              assert.ok(b.int8Hurts && b.outputErrRatio > 4 * GATE_OUTPUT_TOLERANCE && b.gateMeanAbsErr > 0.05, what);
            } else {
              // Measured ≈ 0.06–0.08 (gate error mean ≈ 0.001: the gate's own final rounding).
              assert.ok(!b.int8Hurts && b.outputErrRatio < GATE_OUTPUT_TOLERANCE / 2 && b.gateMeanAbsErr < 0.005, what);
            }
            // TFLite follows the measurement; ONNX keeps every gate path float (smaller in QDQ form).
            assert.equal(b.keptFloat, e.format === 'onnx' || b.int8Hurts, what);
          }
          const floatBlocks = e.format === 'onnx' ? seNodes(g).map((n) => n.name) : [HURT];
          assert.ok(a.keptFloat.length > 0 && a.keptFloat.every((k) => floatBlocks.some((b) => k.startsWith(b))), `${e.format} keptFloat: ${a.keptFloat.join(', ')}`);
          for (const b of floatBlocks) assert.ok(a.keptFloat.some((k) => k.startsWith(b)), `${e.format} keptFloat has ${b}: ${a.keptFloat.join(', ')}`);
          if (e.format === 'onnx') assert.ok(a.notes.some((n) => n.includes('float gate paths are smaller in QDQ form and never less accurate') && n.includes('in 1 of 3')), a.notes.join('\n'));
        } else {
          assert.equal(a.gates, undefined);
          assert.deepEqual(a.keptFloat, []);
        }
        const bytes = a.files.reduce((s, f) => s + f.data.length, 0);
        const path = stageArtifact(dir, `${e.format}-${gateAware}`, e, a);
        const [r] = await verifyWritten(e, path, g, data, bytes, 0);
        agreement[String(gateAware)] = r.agreement;
        t.diagnostic(`${e.format} gate-aware ${gateAware}: argmax agreement with float ${r.agreement}, top-1 ${r.top1} vs float ${r.top1Float}`);
      }
      // Measured: ONNX 99.2 % vs 92.6 %, TFLite 99.6 % vs 92.8 % (500 images).
      assert.ok(agreement.true >= 0.97, `${e.format} measured gate-aware agreement ${agreement.true}`);
      assert.ok(agreement.true >= agreement.false + 0.03, `${e.format}: measured ${agreement.true} vs all-int8 ${agreement.false}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
