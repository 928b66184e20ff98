/**
 * Parameter and MAC accounting.
 *
 * Parameters are counted as torchvision counts trainable ones: conv and dense weights and biases,
 * BN gamma and beta (not the running mean/variance), SE fc weights and biases.
 *
 * MACs (multiply-accumulates, what papers call FLOPs) count convolutions, dense layers and SE
 * FCs. BN, activations, pooling, adds and the SE rescale are not counted: BN folds into the conv
 * on deployment and the others are O(H·W·C) against the convs' O(H·W·C·K). The SE block's own
 * FCs run once per image on the pooled vector, so they cost C·hidden·2 MACs.
 */
import type { Graph, Node } from './ir.js';
import { inferShapes, type Shape } from './shapes.js';

export interface NodeCost {
  name: string;
  kind: Node['kind'];
  stage: string;
  params: number;
  macs: number;
  outShape: Shape;
}

export interface StageCost {
  stage: string;
  params: number;
  macs: number;
}

export interface CostReport {
  params: number;
  macs: number;
  nodes: NodeCost[];
  stages: StageCost[];
}

export function nodeParams(node: Node): number {
  switch (node.kind) {
    case 'conv2d':
    case 'dense':
      return node.weights.kernel.length + (node.weights.bias?.length ?? 0);
    case 'batchnorm':
      return node.weights.gamma.length + node.weights.beta.length;
    case 'se':
      return (
        node.weights.fc1.length +
        node.weights.fc2.length +
        (node.weights.fc1Bias?.length ?? 0) +
        (node.weights.fc2Bias?.length ?? 0)
      );
    default:
      return 0;
  }
}

export function nodeMacs(node: Node, outShape: Shape): number {
  switch (node.kind) {
    case 'conv2d': {
      const [h, w] = outShape;
      // kernel holds kh·kw·(inC/groups)·outC values: exactly the MACs of one output position.
      return h * w * node.weights.kernel.length;
    }
    case 'dense':
      return node.weights.kernel.length;
    case 'se':
      return node.weights.fc1.length + node.weights.fc2.length;
    default:
      return 0;
  }
}

export function costReport(g: Graph): CostReport {
  const shapes = inferShapes(g);
  const nodes: NodeCost[] = g.nodes.map((n) => {
    const outShape = shapes.get(n.kind === 'split' ? `${n.name}:0` : n.name) ?? [];
    return {
      name: n.name,
      kind: n.kind,
      stage: n.stage ?? 'other',
      params: nodeParams(n),
      macs: nodeMacs(n, outShape),
      outShape,
    };
  });
  const stageMap = new Map<string, StageCost>();
  for (const c of nodes) {
    const s = stageMap.get(c.stage) ?? { stage: c.stage, params: 0, macs: 0 };
    s.params += c.params;
    s.macs += c.macs;
    stageMap.set(c.stage, s);
  }
  return {
    params: nodes.reduce((a, c) => a + c.params, 0),
    macs: nodes.reduce((a, c) => a + c.macs, 0),
    nodes,
    stages: [...stageMap.values()],
  };
}
