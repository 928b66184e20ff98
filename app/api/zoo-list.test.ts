import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ZOO } from '../model/zoo/index.js';
import { loadModel } from '../import/load.js';
import { zooList } from './zoo-list.js';

test('the UI zoo list offers every zoo model and, right after each demo, its trained weights', async () => {
  const names = zooList().map((z) => z.name);
  for (const z of ZOO) assert.ok(names.includes(z.name), z.name);
  const i = names.indexOf('se-resnet-demo');
  assert.equal(names[i + 1], 'se-resnet-demo-fmnist');
  // Every listed name opens as zoo:<name>.
  for (const name of names.filter((n) => n.endsWith('-fmnist'))) {
    const model = await loadModel(`zoo:${name}`);
    assert.ok(model.project.graph.nodes.length > 10, name);
  }
});
