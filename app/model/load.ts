/**
 * The model argument every command takes: `zoo:<name>[?options]`, a `.seprune` project file, or
 * (through app/import) an `.onnx` file or a TF.js `model.json`. Returns the project and a content
 * hash that identifies the exact weights (statistics and exports record it).
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { extname, basename } from 'node:path';
import { ModelError } from './errors.js';
import { buildZooModel } from './zoo/index.js';
import { trainedModelPath } from './zoo/trained.js';
import { decodeProject, encodeProject, type Project } from './project-file.js';
import { writeFileAtomic, type WriteOptions } from '../util/atomic-write.js';
import type { Graph } from './ir.js';
import { nodeWeights } from './ir.js';
import { modelReaders } from '../import/index.js';
import { readRegular } from '../util/read-bounded.js';
import { validateGraph } from './validate-graph.js';

export interface LoadedModel {
  project: Project;
  /** What the user passed, normalised (zoo spec or absolute-free path as given). */
  source: string;
  /** SHA-256 over the graph structure and weights (first 16 hex digits). */
  hash: string;
}

/** One reader per format (app/import lists them): `match` looks at the path and first bytes. */
export interface ModelReader {
  name: string;
  match(path: string, head: Uint8Array): boolean;
  read(bytes: Uint8Array, path: string): Promise<Project> | Project;
}
const readers: readonly ModelReader[] = modelReaders;

export function graphHash(g: Graph): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ inputs: g.inputs, outputs: g.outputs, nodes: g.nodes.map((n) => ({ ...n, weights: undefined })) }));
  for (const n of g.nodes) for (const [, w] of nodeWeights(n)) h.update(new Uint8Array(w.buffer, w.byteOffset, w.byteLength));
  return h.digest('hex').slice(0, 16);
}

export async function loadModel(arg: string): Promise<LoadedModel> {
  if (!arg) throw new ModelError('No model given; pass a file (.seprune, .onnx, model.json) or zoo:<name>.');
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
  let project: Project;
  if (extname(arg) === '.seprune' || new TextDecoder().decode(head.subarray(0, 8)) === 'SEPRUNE\0') {
    project = decodeProject(bytes, `Model file ${basename(arg)}`);
  } else {
    const reader = readers.find((r) => r.match(arg, head));
    if (!reader) {
      throw new ModelError(
        `Model file ${basename(arg)} is not a format this tool reads (.seprune${readers.map((r) => `, ${r.name}`).join('')}).`,
      );
    }
    project = await reader.read(bytes, arg);
    validateGraph(project.graph, `Model file ${basename(arg)}`);
  }
  return { project, source: arg, hash: graphHash(project.graph) };
}

export function saveProject(path: string, p: Project, o: WriteOptions = {}): number {
  const chunks = encodeProject(p);
  writeFileAtomic(path, chunks, o);
  return chunks.reduce((a, c) => a + c.length, 0);
}
