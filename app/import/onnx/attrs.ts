/** Typed reads of ONNX node attributes, with the node named in every error. */
import { ModelError } from '../../model/errors.js';
import type { AttributeProto, NodeProto } from '../../engine/onnx/schema.js';

export const nodeLabel = (n: NodeProto): string => n.name || n.output?.[0] || n.op_type || '?';

function find(n: NodeProto, name: string): AttributeProto | undefined {
  return n.attribute?.find((a) => a.name === name);
}

export function hasAttr(n: NodeProto, name: string): boolean {
  return find(n, name) !== undefined;
}

export function attrInt(n: NodeProto, name: string, def: number): number {
  const a = find(n, name);
  if (!a) return def;
  const v = Number(a.i ?? 0);
  if (!Number.isFinite(v)) throw new ModelError(`The ONNX node "${nodeLabel(n)}" has an invalid ${name} attribute.`);
  return v;
}

export function attrFloat(n: NodeProto, name: string, def: number): number {
  const a = find(n, name);
  return a ? Number(a.f ?? 0) : def;
}

export function attrInts(n: NodeProto, name: string): number[] | undefined {
  const a = find(n, name);
  return a ? (a.ints ?? []).map(Number) : undefined;
}

export function attrString(n: NodeProto, name: string, def: string): string {
  const a = find(n, name);
  return a?.s ? new TextDecoder().decode(a.s) : def;
}

export function attr(n: NodeProto, name: string): AttributeProto | undefined {
  return find(n, name);
}
