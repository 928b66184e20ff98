import { test } from 'node:test';
import assert from 'node:assert/strict';
import { factsFromMetadata } from './export-metadata.js';
import { metadataEntries } from '../../export/metadata.js';

test('an export\'s metadata reads back as the labels, preprocessing, source and source hash it was written with; other tools\' entries are ignored', () => {
  const preprocessing = { mean: [0.286], std: [0.353], channels: 1 as const, steps: [{ op: 'ToTensor' as const }, { op: 'Normalize' as const, mean: [0.286], std: [0.353] }] };
  const entries = metadataEntries({ source: 'zoo:x', sourceHash: 'h', labels: ['a', 'b'], preprocessing });
  const facts = factsFromMetadata(entries, 'The file');
  assert.deepEqual(facts.labels, ['a', 'b']);
  assert.equal(facts.source, 'zoo:x');
  assert.equal(facts.sourceHash, 'h');
  assert.equal(factsFromMetadata({ ...entries, quant: 'int8' }, 'The file').quant, 'int8');
  assert.equal(facts.quant, undefined);
  assert.deepEqual(facts.preprocessing?.mean, [0.286]);
  assert.equal(facts.preprocessing?.channels, 1);
  assert.deepEqual(factsFromMetadata({ labels: 'cat,dog', preprocessing: '{' }, 'A foreign file'), {}, 'another producer: nothing read, nothing refused');
  assert.throws(() => factsFromMetadata({ ...entries, labels: 'cat,dog' }, 'The file'), /^ModelError: The file has metadata "labels" that is not JSON\.$/);
  assert.throws(() => factsFromMetadata({ ...entries, labels: '[1, 2]' }, 'The file'), /The file has labels/);
});
