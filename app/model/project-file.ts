/**
 * The `.seprune` project file: one file holding a model and what the tool learnt about it.
 *
 * Layout (all little-endian):
 *   bytes 0..7    magic "SEPRUNE\0"
 *   bytes 8..11   format version (uint32, currently 1)
 *   bytes 12..15  header length H in bytes (uint32)
 *   bytes 16..    H bytes of UTF-8 JSON header, then zero padding to a multiple of 8
 *   then          the weight blob: every weight array's float32 bytes, in header order
 * The header holds the graph with each weight replaced by {offset, length} (in floats, into the
 * blob), the blob's byte length and its SHA-256, plus the optional project parts (preprocessing,
 * labels, statistics, history). Float bytes are copied verbatim, so a round trip is bit-exact.
 */
import { createHash } from 'node:crypto';
import type { Graph, Node, Preprocessing } from './ir.js';
import type { HistoryEntry, Project } from './project.js';
import { nodeWeights } from './ir.js';
import { describe, isObject, validateGraph } from './validate-graph.js';
import { validateHistory, validateLabels, validatePreprocessing, validateStats } from './validate-project.js';
import { ModelError } from './errors.js';
import { writeFileAtomic, type WriteOptions } from '../util/atomic-write.js';
import type { ExcitationStats } from './excitation-stats.js';

export const MAGIC = 'SEPRUNE\0';
export const FORMAT_VERSION = 1;

export type { HistoryEntry, Project } from './project.js';

interface WeightRef {
  offset: number;
  length: number;
}

type HeaderNode = Omit<Node, 'weights'> & { weights?: Record<string, WeightRef> };

interface Header {
  format: 'seprune';
  blobBytes: number;
  blobSha256: string;
  graph: Omit<Graph, 'nodes'> & { nodes: HeaderNode[] };
  preprocessing?: Preprocessing;
  labels?: string[];
  stats?: ExcitationStats;
  history: HistoryEntry[];
}

const pad8 = (n: number) => (8 - (n % 8)) % 8;

export function encodeProject(p: Project): Uint8Array[] {
  let floats = 0;
  const arrays: Float32Array[] = [];
  const nodes = p.graph.nodes.map((n): HeaderNode => {
    const ws = nodeWeights(n);
    if (ws.length === 0) return { ...n } as HeaderNode;
    const refs: Record<string, WeightRef> = {};
    for (const [k, v] of ws) {
      refs[k] = { offset: floats, length: v.length };
      floats += v.length;
      arrays.push(v);
    }
    return { ...n, weights: refs } as HeaderNode;
  });
  const blob = new Uint8Array(floats * 4);
  let off = 0;
  for (const a of arrays) {
    blob.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), off);
    off += a.byteLength;
  }
  const header: Header = {
    format: 'seprune',
    blobBytes: blob.length,
    blobSha256: createHash('sha256').update(blob).digest('hex'),
    graph: { ...p.graph, nodes },
    history: p.history,
  };
  if (p.preprocessing) header.preprocessing = p.preprocessing;
  if (p.labels) header.labels = p.labels;
  if (p.stats) header.stats = p.stats;
  const json = new TextEncoder().encode(JSON.stringify(header));
  const prefix = new Uint8Array(16 + json.length + pad8(16 + json.length));
  prefix.set(new TextEncoder().encode(MAGIC), 0);
  const dv = new DataView(prefix.buffer);
  dv.setUint32(8, FORMAT_VERSION, true);
  dv.setUint32(12, json.length, true);
  prefix.set(json, 16);
  return [prefix, blob];
}

/** Decodes a project file; any inconsistency is a ModelError naming what is wrong. */
export function decodeProject(bytes: Uint8Array, what = 'This file'): Project {
  if (bytes.length < 16 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    throw new ModelError(`${what} is not a .seprune project file.`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== FORMAT_VERSION) {
    throw new ModelError(`${what} is a .seprune file of format version ${version}; this tool reads version ${FORMAT_VERSION}.`);
  }
  const hlen = dv.getUint32(12, true);
  if (16 + hlen > bytes.length) throw new ModelError(`${what} is truncated (its header is incomplete).`);
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(16, 16 + hlen))) as Header;
  } catch {
    throw new ModelError(`${what} has a corrupted header.`);
  }
  if (!isObject(header) || header.format !== 'seprune' || !isObject(header.graph) || !Array.isArray(header.graph.nodes)) {
    throw new ModelError(`${what} has a header without a model graph.`);
  }
  if (!Number.isInteger(header.blobBytes) || header.blobBytes < 0 || header.blobBytes % 4 !== 0 || typeof header.blobSha256 !== 'string') {
    throw new ModelError(`${what} has a header without a valid weight length and checksum.`);
  }
  const start = 16 + hlen + pad8(16 + hlen);
  const blob = bytes.subarray(start);
  if (blob.length < header.blobBytes) throw new ModelError(`${what} is truncated (weights end early).`);
  if (blob.length > header.blobBytes) throw new ModelError(`${what} has unexpected bytes after its weights.`);
  if (createHash('sha256').update(blob).digest('hex') !== header.blobSha256) {
    throw new ModelError(`${what} is corrupted (its weights do not match their checksum).`);
  }
  const aligned = new Uint8Array(blob); // own, 4-byte aligned copy
  const floats = new Float32Array(aligned.buffer, 0, aligned.length / 4);
  const nodes = header.graph.nodes.map((n, i) => {
    if (!isObject(n)) throw new ModelError(`${what} has node ${i} ${describe(n)} where an object is needed.`);
    if (n.weights === undefined) return n as unknown as Node;
    if (!isObject(n.weights)) throw new ModelError(`${what} has weights ${describe(n.weights)} in node ${i} where an object is needed.`);
    const w: Record<string, Float32Array> = {};
    for (const [k, ref] of Object.entries(n.weights)) {
      if (!isObject(ref) || !Number.isInteger(ref.offset) || !Number.isInteger(ref.length) || ref.offset < 0 || ref.length < 0 || ref.offset + ref.length > floats.length) {
        throw new ModelError(`${what} has an out-of-range weight reference in node "${String(n.name).slice(0, 80)}".`);
      }
      w[k] = floats.slice(ref.offset, ref.offset + ref.length);
    }
    return { ...n, weights: w } as unknown as Node;
  });
  const graph: Graph = { ...header.graph, nodes };
  try {
    validateGraph(graph, 'its graph');
  } catch (e) {
    if (e instanceof ModelError) throw new ModelError(`${what} holds an inconsistent model: ${e.message}`);
    throw new ModelError(`${what} holds a malformed model graph.`);
  }
  const p: Project = { graph, history: validateHistory(header.history, what) };
  if (header.preprocessing !== undefined) p.preprocessing = validatePreprocessing(header.preprocessing, what);
  if (header.labels !== undefined) p.labels = validateLabels(header.labels, what);
  if (header.stats !== undefined) p.stats = validateStats(header.stats, what);
  return p;
}

/** Writes a project as a `.seprune` file atomically; returns its size in bytes. */
export function saveProject(path: string, p: Project, o: WriteOptions = {}): number {
  const chunks = encodeProject(p);
  writeFileAtomic(path, chunks, o);
  return chunks.reduce((a, c) => a + c.length, 0);
}
