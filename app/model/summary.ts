/**
 * The architecture summary `seprune inspect` prints and the UI shows: shapes, params and MACs per
 * stage and in total, and every SE block with where it sits in the graph.
 */
import type { Graph } from './ir.js';
import { consumers, producers, seNodes } from './ir.js';
import { costReport, type StageCost } from './accounting.js';
import { inferShapes } from './shapes.js';

export interface SeBlockInfo {
  name: string;
  stage: string;
  block: string;
  channels: number;
  hidden: number;
  /** channels / hidden. */
  reduction: number;
  gate: string;
  innerAct: string;
  bias: boolean;
  params: number;
  /** The node whose output it gates and the nodes that read its result. */
  after: string;
  before: string[];
}

export interface ModelSummary {
  name: string;
  inputs: { name: string; shape: number[] }[];
  outputs: { name: string; shape: number[] }[];
  params: number;
  macs: number;
  nodes: number;
  stages: StageCost[];
  seBlocks: SeBlockInfo[];
  seParams: number;
}

export function summarize(g: Graph): ModelSummary {
  const shapes = inferShapes(g);
  const cost = costReport(g);
  const prod = producers(g);
  const cons = consumers(g);
  const seBlocks = seNodes(g).map((n) => {
    const p = n.weights.fc1.length + n.weights.fc2.length + (n.weights.fc1Bias?.length ?? 0) + (n.weights.fc2Bias?.length ?? 0);
    const src = prod.get(n.inputs[0]);
    return {
      name: n.name,
      stage: n.stage ?? '',
      block: n.block ?? '',
      channels: n.attrs.channels,
      hidden: n.attrs.hidden,
      reduction: n.attrs.channels / n.attrs.hidden,
      gate: n.attrs.gate,
      innerAct: n.attrs.innerAct,
      bias: !!n.weights.fc1Bias || !!n.weights.fc2Bias,
      params: p,
      after: src ? `${src.name} (${src.kind})` : n.inputs[0],
      before: (cons.get(n.name) ?? []).map((c) => `${c.name} (${c.kind})`),
    };
  });
  return {
    name: g.name,
    inputs: g.inputs.map((i) => ({ name: i.name, shape: i.shape })),
    outputs: g.outputs.map((o) => ({ name: o, shape: shapes.get(o) ?? [] })),
    params: cost.params,
    macs: cost.macs,
    nodes: g.nodes.length,
    stages: cost.stages,
    seBlocks,
    seParams: seBlocks.reduce((a, b) => a + b.params, 0),
  };
}
