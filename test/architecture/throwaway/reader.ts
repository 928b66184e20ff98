/**
 * A throwaway model format, written as a user adding one would: one file. A `.toy` file holds a
 * zoo model's name (the "format" is that text), so the test needs no fixture.
 */
import { buildZooModel } from '../../../app/model/zoo/index.js';
import { ModelError } from '../../../app/model/errors.js';
import type { ModelReader } from '../../../app/import/reader.js';

export const toyReader: ModelReader = {
  name: '.toy',
  extensions: ['.toy'],
  match: (path) => path.toLowerCase().endsWith('.toy'),
  read(bytes) {
    const name = new TextDecoder().decode(bytes).trim();
    if (!/^[a-z0-9-]+$/.test(name)) throw new ModelError('A .toy file holds one zoo model name.');
    return { graph: buildZooModel(name), history: [] };
  },
};
