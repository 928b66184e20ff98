/**
 * The importer's working form of an ONNX graph, between decoding and the IR: constants folded
 * away (`consts`), every remaining ("live") value with its NCHW shape (batch folded as 1), and
 * the live nodes in topological order with their attributes already resolved to numbers
 * (opset differences such as axes-as-input vs axes-as-attribute are gone at this point).
 * Pattern passes replace chains of live nodes by pseudo-ops (`Act`, `SE`, `ChannelShuffle`).
 */
import type { ActivationFn, GateFn } from '../../model/ir.js';

/** A folded constant: dims and values (int64 values as exact-enough doubles). */
export interface ConstTensor {
  dims: number[];
  data: Float64Array;
  int: boolean;
}

/** Resolved attributes: numbers and number lists only. */
export type Params = Record<string, number | number[]>;

export interface SeParams {
  channels: number;
  hidden: number;
  fc1: Float32Array;
  fc1Bias?: Float32Array;
  fc2: Float32Array;
  fc2Bias?: Float32Array;
  gate: GateFn;
  gateAlpha: number;
  gateBeta: number;
  innerAct: ActivationFn;
}

export interface LiveNode {
  /** ONNX op type, or a pseudo-op made by a pattern pass: Act, SE, ChannelShuffle. */
  op: string;
  /** The ONNX node name (or its first output when unnamed). */
  name: string;
  inputs: string[];
  outputs: string[];
  p: Params;
  /** Act pseudo-op. */
  fn?: ActivationFn;
  /** SE pseudo-op. */
  se?: SeParams;
}

export interface LiveGraph {
  name: string;
  input: string;
  output: string;
  nodes: LiveNode[];
  consts: Map<string, ConstTensor>;
  shapes: Map<string, number[]>;
}

export const numel = (dims: number[]): number => dims.reduce((a, b) => a * b, 1);

export function num(n: LiveNode, key: string): number {
  const v = n.p[key];
  if (typeof v !== 'number') throw new Error(`importer: ${n.op} ${n.name} has no numeric ${key}`);
  return v;
}

export function nums(n: LiveNode, key: string): number[] {
  const v = n.p[key];
  if (!Array.isArray(v)) throw new Error(`importer: ${n.op} ${n.name} has no list ${key}`);
  return v;
}

/** Map from value name to the live nodes reading it (graph output counts as a reader). */
export function readers(g: LiveGraph): Map<string, LiveNode[]> {
  const m = new Map<string, LiveNode[]>();
  for (const n of g.nodes) {
    for (const i of n.inputs) {
      const list = m.get(i);
      if (list) list.push(n);
      else m.set(i, [n]);
    }
  }
  return m;
}

export function producersOf(g: LiveGraph): Map<string, LiveNode> {
  const m = new Map<string, LiveNode>();
  for (const n of g.nodes) for (const o of n.outputs) m.set(o, n);
  return m;
}

/** A scalar constant's value (a one-element tensor of any rank), else undefined. */
export function scalarOf(g: LiveGraph, name: string | undefined): number | undefined {
  if (name === undefined) return undefined;
  const c = g.consts.get(name);
  return c && c.data.length === 1 ? c.data[0] : undefined;
}
