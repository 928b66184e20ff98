/**
 * ONNX export of every zoo demo family in fp32, fp16 and int8, each file run in onnxruntime-node
 * and onnxruntime-web and compared with the float model; the files pass onnx.checker (full).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildZooModel } from '../app/model/zoo/index.js';
import { graphHash } from '../app/model/graph-hash.js';
import { runGraph } from '../app/engine/executor.js';
import { OutputExistsError, UserError } from '../app/model/errors.js';
import { ortHasProvider } from '../app/engine/ort.js';
import { onnxExporter } from './onnx/index.js';
import { verifyWritten, exportModel } from './export-model.js';
import { assertInt8Size, DEMO_FAMILIES, fashion, onnxCheck, pythonOnnxAvailable, stageArtifact, tempDir } from './test-support.js';
import type { CalibBatch } from './types.js';

const dir = tempDir();
const written: string[] = [];
/** The runtimes every ONNX export is verified in here: XNNPACK's provider where this onnxruntime-node has it. */
const ONNX_RUNTIMES = ['onnxruntime-node', 'onnxruntime-web (wasm)', ...(ortHasProvider('xnnpack') ? ['onnxruntime-node (XNNPACK execution provider)'] : [])];


test('ONNX export × demo families × precisions, verified in onnxruntime-node and -web', async (t) => {
  const data = await fashion('test', 200);
  const calibData = await fashion('train', 100);
  const calib = async function* (): AsyncIterable<CalibBatch> {
    yield* calibData;
  };
  for (const name of DEMO_FAMILIES) {
    await t.test(name, async () => {
      const g = buildZooModel(name);
      const meta = { source: `zoo:${name}`, sourceHash: graphHash(g) };
      const sizes: Record<string, number> = {};
      for (const quant of ['fp32', 'fp16', 'int8'] as const) {
        const a = await onnxExporter.write(g, { quant, meta, calib });
        const path = stageArtifact(dir, `${name}-${quant}`, onnxExporter, a);
        written.push(path);
        const bytes = a.files[0].data.length;
        sizes[quant] = bytes;
        const reports = await verifyWritten(onnxExporter, path, g, quant === 'fp32' ? data.slice(0, 1) : data, bytes, 0);
        assert.deepEqual(reports.map((r) => r.runtime), ONNX_RUNTIMES);
        for (const r of reports) {
          if (quant === 'fp32') assert.ok(r.maxAbsDiff <= 1e-4, `${name} fp32 ${r.runtime}: max |Δ| ${r.maxAbsDiff}`);
          if (quant === 'fp16') {
            assert.equal(r.n, 200);
            assert.ok(r.agreement >= 0.995, `${name} fp16 ${r.runtime}: agreement ${r.agreement}`);
            assert.ok(Math.abs(r.top1! - r.top1Float!) <= 0.005, `${name} fp16 top-1 ${r.top1} vs ${r.top1Float}`);
            assert.ok(r.maxAbsDiff <= 2e-3, `${name} fp16 ${r.runtime}: max |Δ| ${r.maxAbsDiff}`);
          }
          if (quant === 'int8') {
            assert.ok(r.agreement >= 0.99, `${name} int8 ${r.runtime}: agreement ${r.agreement}`);
            assert.ok(r.maxAbsDiff <= 0.05, `${name} int8 ${r.runtime}: max |Δ| ${r.maxAbsDiff}`);
          }
        }
        if (quant === 'fp32') {
          // Against the executor itself (not only ORT's reading of the IR).
          const [node] = await onnxExporter.open(path, g);
          const x = data[0].x.subarray(0, 16 * 28 * 28);
          const want = (await runGraph(g, x, 16)).outputs[0];
          const got = await node.run(x, 16);
          await node.release();
          let d = 0;
          for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(want[i] - got[i]));
          assert.ok(d <= 1e-4, `${name} fp32 vs executor: max |Δ| ${d}`);
        }
      }
      t.diagnostic(assertInt8Size(g, sizes.int8, sizes.fp32, `${name} onnx`));
      assert.ok(sizes.fp16 <= 0.55 * sizes.fp32, `${name} fp16 ${sizes.fp16} B vs fp32 ${sizes.fp32} B`);
    });
  }
});

test('the ONNX files pass onnx.checker.check_model(full_check=True)', { skip: pythonOnnxAvailable() ? false : '/usr/bin/python3 with python3-onnx is not installed' }, () => {
  assert.ok(written.length >= 15);
  assert.equal(onnxCheck(written), '');
});

test('a truncated ONNX file is refused by onnxruntime with its own message', async () => {
  const g = buildZooModel('se-resnet-demo');
  const a = await onnxExporter.write(g, { quant: 'fp32', meta: { source: 'x', sourceHash: 'y' } });
  const path = join(dir, 'truncated.onnx');
  writeFileSync(path, a.files[0].data.subarray(0, Math.floor(a.files[0].data.length / 2)));
  await assert.rejects(onnxExporter.open(path, g), (e: Error) => e instanceof UserError && /^onnxruntime cannot load this model: .+\.$/.test(e.message));
  assert.ok(readFileSync(path).length > 0);
});

test('an int8 export says when onnxruntime-node has no XNNPACK execution provider to verify it with', async () => {
  const g = buildZooModel('se-mobilenet-demo');
  const calibData = await fashion('train', 50);
  const r = await exportModel({
    graph: g,
    format: 'onnx',
    quant: 'int8',
    meta: { source: 'zoo:se-mobilenet-demo', sourceHash: graphHash(g) },
    calib: async function* () {
      yield* calibData;
    },
    verifyData: await fashion('test', 50),
    latencyRuns: 0,
    out: join(dir, 'xnnpack-note.onnx'),
  });
  assert.deepEqual(r.verifyAll.map((v) => v.runtime), ONNX_RUNTIMES);
  const note = r.notes.find((n) => n.includes('XNNPACK'));
  if (ortHasProvider('xnnpack')) assert.equal(note, undefined);
  else assert.match(note ?? '', /^not run with onnxruntime's XNNPACK execution provider: onnxruntime-node \d+\.\d+\.\d+ on \w+-\w+ is built without it \(its providers: cpu/);
});

test('existing output without --force and a missing folder are clear errors', async () => {
  const g = buildZooModel('se-mobilenet-demo');
  const out = join(dir, 'exists.onnx');
  writeFileSync(out, 'old');
  const req = { graph: g, format: 'onnx', quant: 'fp32' as const, meta: { source: 'x', sourceHash: 'y' }, verify: false };
  await assert.rejects(exportModel({ ...req, out }), (e) => e instanceof OutputExistsError && e.path === out);
  assert.equal(readFileSync(out, 'utf8'), 'old');
  const r = await exportModel({ ...req, out, force: true });
  assert.equal(r.bytes, readFileSync(out).length);
  await assert.rejects(exportModel({ ...req, out: join(dir, 'no-such-folder', 'm.onnx') }), /does not exist/);
  await assert.rejects(exportModel({ ...req, out: join(out, 'm.onnx') }), /is a file, not a folder/);
  await assert.rejects(exportModel({ ...req, quant: 'int8', out: join(dir, 'q.onnx') }), /calibration images/);
});
