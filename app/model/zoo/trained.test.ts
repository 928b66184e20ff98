// The shipped trained demo models: they load, keep their preprocessing, and classify
// Fashion-MNIST far above chance (accuracies as recorded in the README).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../import/load.js';
import { trainedModelNames } from './trained.js';
import { openDataset, sampleIndices } from '../../data/index.js';
import { evaluate } from '../../eval/evaluate.js';

test('trained demo models reach their recorded accuracy on 1,000 Fashion-MNIST test images', async () => {
  const names = trainedModelNames(['se-resnet-demo', 'se-mobilenet-demo', 'se-shufflenetv2-demo']);
  assert.equal(names.length, 3, 'the three trained demo models ship with the repository');
  for (const name of names) {
    const m = await loadModel(`zoo:${name}`);
    assert.deepEqual(m.project.preprocessing?.mean, [0.286]);
    const ds = await openDataset({ data: 'fashion-mnist', split: 'test', preprocess: m.project.preprocessing! });
    const r = await evaluate(m.project.graph, ds, sampleIndices(await ds.labels(), 1000, 0));
    assert.ok(r.top1 >= 0.74, `${name}: top-1 ${r.top1}`);
  }
});
