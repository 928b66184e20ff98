/**
 * The model argument every command takes: `zoo:<name>[?options]`, a `.seprune` project file, or
 * (through the readers of ./index.ts) an `.onnx` file or a TF.js `model.json`. Returns the
 * project and a content hash that identifies the exact weights (statistics and exports record it).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ModelError } from '../model/errors.js';
import { buildZooModel } from '../model/zoo/index.js';
import { trainedModelPath } from '../model/zoo/trained.js';
import { decodeProject } from '../model/project-file.js';
import type { LoadedModel } from '../model/project.js';
import { graphHash } from '../model/graph-hash.js';
import { validateGraph } from '../model/validate-graph.js';
import { readRegular } from '../util/read-bounded.js';
import { modelFileList, modelReaders as readers } from './index.js';

export async function loadModel(arg: string): Promise<LoadedModel> {
  if (!arg) throw new ModelError(`No model given; pass a file (${modelFileList()}) or zoo:<name>.`);
  const trained = arg.startsWith('zoo:') ? trainedModelPath(arg.slice(4)) : undefined;
  if (trained) {
    const project = decodeProject(readFileSync(trained), `Trained model ${arg}`);
    return { project, source: arg, hash: graphHash(project.graph) };
  }
  if (arg.startsWith('zoo:')) {
    const graph = buildZooModel(arg.slice(4));
    validateGraph(graph, `The zoo model ${arg}`);
    return { project: { graph, history: [] }, source: arg, hash: graphHash(graph) };
  }
  const bytes = await readRegular(arg, `Model file ${arg}`);
  const head = bytes.subarray(0, 64);
  const reader = readers.find((r) => r.match(arg, head));
  if (!reader) throw new ModelError(`Model file ${basename(arg)} is not a format this tool reads (${modelFileList()}).`);
  const project = await reader.read(bytes, arg);
  validateGraph(project.graph, `Model file ${basename(arg)}`);
  return { project, source: arg, hash: graphHash(project.graph) };
}
