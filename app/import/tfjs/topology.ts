/**
 * The Keras topology inside a TF.js layers `model.json` (`modelTopology.model_config`), as a flat
 * list of layers with their input layer names. Reads Sequential and Functional models in the
 * Keras 2 (`inbound_nodes: [[[name, 0, 0, {}], ...]]`) and Keras 3
 * (`inbound_nodes: [{args: [keras_tensor...]}]`) spellings. Shared layers (called twice) are refused.
 */
import { ModelError } from '../../model/errors.js';

export interface KLayer {
  name: string;
  cls: string;
  config: Record<string, unknown>;
  /** Names of the layers whose outputs this layer reads, in order. */
  inputs: string[];
}

export interface KTopology {
  layers: KLayer[];
  input: string;
  /** Per-sample input shape [H, W, C]. */
  inputShape: number[];
  output: string;
  /** Major Keras version (2 or 3): decides what hard_sigmoid means. */
  kerasMajor: number;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function historyName(t: unknown): string | undefined {
  if (Array.isArray(t) && typeof t[0] === 'string') return t[0];
  if (isObj(t) && isObj(t.config) && Array.isArray(t.config.keras_history)) return String(t.config.keras_history[0]);
  return undefined;
}

function inboundOf(layer: Json, file: string): string[] {
  const nodes = layer.inbound_nodes;
  if (!Array.isArray(nodes) || nodes.length === 0) return [];
  if (nodes.length > 1) throw new ModelError(`${file}: layer "${String(layer.name)}" is shared (called ${nodes.length} times), which this tool does not import.`);
  const node = nodes[0];
  const out: string[] = [];
  if (Array.isArray(node)) {
    for (const t of node) {
      const n = historyName(t);
      if (n) out.push(n);
    }
  } else if (isObj(node) && Array.isArray(node.args)) {
    const walk = (a: unknown): void => {
      const n = historyName(a);
      if (n && isObj(a)) out.push(n);
      else if (Array.isArray(a)) a.forEach(walk);
    };
    node.args.forEach(walk);
  }
  return out;
}

function shapeOfInput(cfg: Json): number[] | undefined {
  const s = cfg.batch_input_shape ?? cfg.batch_shape;
  return Array.isArray(s) ? s.slice(1).map((d) => (typeof d === 'number' ? d : NaN)) : undefined;
}

export function parseTopology(json: unknown, file: string): KTopology {
  if (!isObj(json)) throw new ModelError(`${file} is not a TF.js model.json (not a JSON object).`);
  if (json.format === 'graph-model' || isObj(json.modelTopology) && 'node' in json.modelTopology) {
    throw new ModelError(`${file} is a TF.js graph model; this tool reads layers models (tensorflowjs_converter --output_format tfjs_layers_model).`);
  }
  const topo = json.modelTopology;
  if (!isObj(topo)) throw new ModelError(`${file} is not a TF.js layers model (it has no modelTopology).`);
  const mc = isObj(topo.model_config) ? topo.model_config : topo;
  const version = String(topo.keras_version ?? json.generatedBy ?? '2');
  const kerasMajor = /(^|\D)3\.\d/.test(version) ? 3 : 2;
  const cls = String(mc.class_name ?? '');
  const cfg = mc.config;
  const rawLayers = Array.isArray(cfg) ? cfg : isObj(cfg) && Array.isArray(cfg.layers) ? cfg.layers : undefined;
  if (!rawLayers) throw new ModelError(`${file} has no layer list in its modelTopology.`);
  const layers: KLayer[] = [];
  let input = '';
  let inputShape: number[] | undefined;
  if (cls === 'Sequential') {
    let prev = '';
    for (const l of rawLayers) {
      if (!isObj(l) || !isObj(l.config)) throw new ModelError(`${file} has a malformed layer entry.`);
      const name = String(l.config.name ?? l.name ?? `layer${layers.length}`);
      const lcls = String(l.class_name);
      if (!prev) {
        input = lcls === 'InputLayer' ? name : 'input';
        inputShape = shapeOfInput(l.config);
        if (lcls !== 'InputLayer') {
          layers.push({ name: input, cls: 'InputLayer', config: {}, inputs: [] });
          prev = input;
        }
      }
      layers.push({ name, cls: lcls, config: l.config, inputs: prev && lcls !== 'InputLayer' ? [prev] : [] });
      prev = name;
    }
  } else {
    for (const l of rawLayers) {
      if (!isObj(l) || !isObj(l.config)) throw new ModelError(`${file} has a malformed layer entry.`);
      const name = String(l.name ?? l.config.name);
      layers.push({ name, cls: String(l.class_name), config: l.config, inputs: inboundOf(l, file) });
    }
    const ins = isObj(cfg) ? (cfg.input_layers as unknown[]) : [];
    const outs = isObj(cfg) ? (cfg.output_layers as unknown[]) : [];
    const first = (v: unknown[]): string | undefined => (Array.isArray(v) ? (Array.isArray(v[0]) ? String(v[0][0]) : typeof v[0] === 'string' ? v[0] : undefined) : undefined);
    if (Array.isArray(ins) && ins.length > 1 && Array.isArray(ins[0])) throw new ModelError(`${file} has ${ins.length} inputs; this tool imports models with exactly one image input.`);
    input = first(ins) ?? '';
    const inLayer = layers.find((l) => l.name === input);
    inputShape = inLayer ? shapeOfInput(inLayer.config) : undefined;
    const output = first(outs);
    if (!output) throw new ModelError(`${file} names no output layer.`);
    return finish(layers, input, inputShape, output, kerasMajor, file);
  }
  return finish(layers, input, inputShape, layers[layers.length - 1]?.name ?? '', kerasMajor, file);
}

function finish(layers: KLayer[], input: string, inputShape: number[] | undefined, output: string, kerasMajor: number, file: string): KTopology {
  if (!inputShape || inputShape.length !== 3 || inputShape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new ModelError(`${file}: the model's input must be an image with a fixed [height, width, channels] shape.`);
  }
  if (!layers.some((l) => l.name === output)) throw new ModelError(`${file} names an output layer "${output}" it does not define.`);
  return { layers, input, inputShape, output, kerasMajor };
}
