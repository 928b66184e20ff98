/**
 * What the ONNX graph walk (resolve-graph.ts) knows so far: the constants, the shapes of feature
 * maps, the nodes kept, and the helpers that read a node's constant inputs and attributes.
 */
import { ModelError } from '../../model/errors.js';
import type { NodeProto } from '../../engine/onnx/schema.js';
import { attrInts, nodeLabel } from './attrs.js';
import type { ConstTensor, LiveNode } from './live.js';

export function ints(c: ConstTensor): number[] {
  return Array.from(c.data);
}

export class WalkState {
  readonly consts = new Map<string, ConstTensor>();
  readonly shapes = new Map<string, number[]>();
  readonly nodes: LiveNode[] = [];
  private readonly names = new Set<string>();

  constructor(readonly opset: number) {}

  isConst(name: string): boolean {
    return this.consts.has(name);
  }

  constIn(n: NodeProto, i: number, what: string): ConstTensor {
    const name = n.input?.[i] ?? '';
    const c = this.consts.get(name);
    if (!c) throw new ModelError(`The ONNX node "${nodeLabel(n)}" (${n.op_type}) needs a constant ${what}, but it is computed at run time.`);
    return c;
  }

  optConst(n: NodeProto, i: number, what: string): ConstTensor | undefined {
    const name = n.input?.[i] ?? '';
    return name === '' ? undefined : this.constIn(n, i, what);
  }

  shapeOf(n: NodeProto, name: string): number[] {
    const c = this.consts.get(name);
    if (c) return c.dims;
    const s = this.shapes.get(name);
    if (!s) throw new ModelError(`The ONNX node "${nodeLabel(n)}" reads "${name}", which no earlier node produces.`);
    return s;
  }

  /** Axes from the input at `i` (newer opsets) or the `axes` attribute (older ones). */
  axes(n: NodeProto, i: number): number[] | undefined {
    const c = this.optConst(n, i, 'axes');
    return c ? ints(c) : attrInts(n, 'axes');
  }

  setConst(n: NodeProto, c: ConstTensor): void {
    const out = n.output?.[0];
    if (!out) throw new ModelError(`The ONNX node "${nodeLabel(n)}" has no output.`);
    this.consts.set(out, c);
  }

  sliceArgs(n: NodeProto, rank: number): { starts: number[]; ends: number[]; axes: number[]; steps: number[] } {
    if (this.opset < 10) {
      const starts = attrInts(n, 'starts') ?? [];
      return { starts, ends: attrInts(n, 'ends') ?? [], axes: attrInts(n, 'axes') ?? starts.map((_, i) => i), steps: starts.map(() => 1) };
    }
    const starts = ints(this.constIn(n, 1, 'starts'));
    const ends = ints(this.constIn(n, 2, 'ends'));
    const axes = this.optConst(n, 3, 'axes');
    const steps = this.optConst(n, 4, 'steps');
    if (ends.length !== starts.length) throw new ModelError(`The ONNX Slice node "${nodeLabel(n)}" has ${starts.length} starts and ${ends.length} ends.`);
    return {
      starts,
      ends,
      axes: axes ? ints(axes) : starts.map((_, i) => i).filter((i) => i < rank),
      steps: steps ? ints(steps) : starts.map(() => 1),
    };
  }

  claimName(n: NodeProto): string {
    let name = n.name || n.output?.[0] || n.op_type || 'node';
    for (let k = 1; this.names.has(name); k++) name = `${n.name || n.output?.[0]}_${k}`;
    this.names.add(name);
    return name;
  }
}
