/** A throwaway export format in one file: the model as a float32 `.seprune` project, run by the executor. */
import { readFileSync } from 'node:fs';
import { encodeProject, decodeProject } from '../../../app/model/project-file.js';
import { runGraph } from '../../../app/engine/executor.js';
import type { Exporter } from '../../../export/types.js';

export const toyExporter: Exporter = {
  format: 'toyfmt',
  quant: ['fp32'],
  output: 'file',
  extension: 'toyfmt',
  async write(g) {
    const chunks = encodeProject({ graph: g, history: [] });
    const data = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
    let at = 0;
    for (const c of chunks) data.set(c, (at += c.length) - c.length);
    return { files: [{ name: 'model.toyfmt', data }], notes: ['the IR as a project file'], keptFloat: [] };
  },
  async open(path) {
    const g = decodeProject(readFileSync(path)).graph;
    return [{ runtime: 'toy executor', run: async (x, n) => (await runGraph(g, x, n)).outputs[0], release: async () => {} }];
  },
};
