import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { diagramOf } from './service.js';
import { loadModel } from '../import/load.js';
import { summarize } from '../model/summary.js';
import type { Graph } from '../model/ir.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../import/fixtures/${name}`, import.meta.url));

function check(g: Graph): ReturnType<typeof diagramOf> {
  const d = diagramOf(g);
  const s = summarize(g);
  assert.equal(d.reduce((a, b) => a + b.params, 0), s.params);
  assert.equal(d.reduce((a, b) => a + b.macs, 0), s.macs);
  assert.deepEqual(d.flatMap((b) => (b.se ? [b.se] : [])), s.seBlocks.map((b) => b.name), 'one box per SE block');
  return d;
}

test('a graph without stage labels draws by resolution, not as one "other" box', async () => {
  // A dynamo export names its nodes node_Conv_1, …: no stages in the names.
  const g = (await loadModel(fixture('efficientnet-dynamo18.onnx'))).project.graph;
  assert.ok(g.nodes.every((n) => n.stage === undefined));
  const d = check(g);
  assert.deepEqual([...new Set(d.map((b) => b.stage))], ['stem', 'stage1', 'stage2', 'head']);
  assert.ok(g.nodes.every((n) => n.stage === undefined), 'the model keeps its own labels');

  // A model without SE blocks whose labels were lost (as our ONNX export reads back).
  const z = (await loadModel('zoo:se-resnet-demo?se=off')).project.graph;
  const bare: Graph = { ...z, nodes: z.nodes.map((n) => ({ ...n, stage: undefined, block: undefined })) };
  const b = check(bare);
  assert.ok(b.length > 5 && new Set(b.map((x) => x.stage)).size >= 3);
});

test('a labelled graph keeps its stages and blocks', async () => {
  const g = (await loadModel(fixture('se-resnet-ts13.onnx'))).project.graph;
  const d = check(g);
  assert.deepEqual([...new Set(d.map((b) => b.stage))], ['stem', 'layer1', 'layer2', 'head']);
});
