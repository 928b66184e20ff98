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
 * labels, statistics, history) and, in a file the app saved, the session: every other model of
 * it (graph, parts, label, origin) with its weights in the same blob, and which one the file's own
 * model is. Float bytes are copied verbatim, so a round trip is bit-exact.
 */
import { createHash } from 'node:crypto';
import type { Graph, Node, Preprocessing } from './ir.js';
import type { HistoryEntry, Project, SessionModel, SessionOrigin, SessionPart } from './project.js';
import { nodeWeights } from './ir.js';
import { describe, isObject, validateGraph } from './validate-graph.js';
import { validateHistory, validateLabels, validatePreprocessing, validateStats } from './validate-project.js';
import { ModelError } from './errors.js';
import { writeFileAtomic, type WriteOptions } from '../util/atomic-write.js';
import type { ExcitationStats } from './excitation-stats.js';

export const MAGIC = 'SEPRUNE\0';
export const FORMAT_VERSION = 1;

export type { HistoryEntry, Project, SessionModel, SessionOrigin, SessionPart } from './project.js';

interface WeightRef {
  offset: number;
  length: number;
}

type HeaderNode = Omit<Node, 'weights'> & { weights?: Record<string, WeightRef> };
type HeaderGraph = Omit<Graph, 'nodes'> & { nodes: HeaderNode[] };

/** A project's optional parts as the header holds them. */
interface HeaderParts {
  preprocessing?: Preprocessing;
  labels?: string[];
  stats?: ExcitationStats;
  history: HistoryEntry[];
}

interface HeaderSessionModel extends Partial<HeaderParts> {
  label: string;
  origin: SessionOrigin;
  graph?: HeaderGraph;
}

interface Header extends HeaderParts {
  format: 'seprune';
  blobBytes: number;
  blobSha256: string;
  graph: HeaderGraph;
  /** The app session saved with this model (absent in files the CLI writes). */
  session?: { current: number; models: HeaderSessionModel[] };
}

/** Models a saved session may hold. */
export const MAX_SESSION_MODELS = 64;
const SESSION_KINDS: readonly SessionOrigin['kind'][] = ['opened', 'pruned', 'finetuned'];

const pad8 = (n: number) => (8 - (n % 8)) % 8;

/** Collects the weights of the graphs of one file into one blob, each weight a {offset, length} reference into it. */
class BlobWriter {
  floats = 0;
  readonly arrays: Float32Array[] = [];

  graph(g: Graph): HeaderGraph {
    const nodes = g.nodes.map((n): HeaderNode => {
      const ws = nodeWeights(n);
      if (ws.length === 0) return { ...n } as HeaderNode;
      const refs: Record<string, WeightRef> = {};
      for (const [k, v] of ws) {
        refs[k] = { offset: this.floats, length: v.length };
        this.floats += v.length;
        this.arrays.push(v);
      }
      return { ...n, weights: refs } as HeaderNode;
    });
    return { ...g, nodes };
  }

  bytes(): Uint8Array {
    const blob = new Uint8Array(this.floats * 4);
    let off = 0;
    for (const a of this.arrays) {
      blob.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), off);
      off += a.byteLength;
    }
    return blob;
  }
}

function parts(p: Omit<Project, 'graph' | 'session'>): HeaderParts {
  const h: HeaderParts = { history: p.history };
  if (p.preprocessing) h.preprocessing = p.preprocessing;
  if (p.labels) h.labels = p.labels;
  if (p.stats) h.stats = p.stats;
  return h;
}

export function encodeProject(p: Project): Uint8Array[] {
  const w = new BlobWriter();
  const graph = w.graph(p.graph);
  const session = p.session
    ? {
        current: p.session.current,
        models: p.session.models.map((m): HeaderSessionModel => ({ label: m.label, origin: m.origin, ...(m.project ? { graph: w.graph(m.project.graph), ...parts(m.project) } : {}) })),
      }
    : undefined;
  const blob = w.bytes();
  const header: Header = {
    format: 'seprune',
    blobBytes: blob.length,
    blobSha256: createHash('sha256').update(blob).digest('hex'),
    graph,
    ...parts(p),
    ...(session ? { session } : {}),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const prefix = new Uint8Array(16 + json.length + pad8(16 + json.length));
  prefix.set(new TextEncoder().encode(MAGIC), 0);
  const dv = new DataView(prefix.buffer);
  dv.setUint32(8, FORMAT_VERSION, true);
  dv.setUint32(12, json.length, true);
  prefix.set(json, 16);
  return [prefix, blob];
}

/** A header graph with its weights read from the blob, checked as every model is. */
function readGraph(hg: unknown, floats: Float32Array, what: string, which: string): Graph {
  if (!isObject(hg) || !Array.isArray(hg.nodes)) throw new ModelError(`${what} has a header without a graph for its ${which}.`);
  const nodes = (hg.nodes as unknown[]).map((n, i) => {
    if (!isObject(n)) throw new ModelError(`${what} has node ${i} ${describe(n)} where an object is needed.`);
    if (n.weights === undefined) return n as unknown as Node;
    if (!isObject(n.weights)) throw new ModelError(`${what} has weights ${describe(n.weights)} in node ${i} where an object is needed.`);
    const w: Record<string, Float32Array> = {};
    for (const [k, r] of Object.entries(n.weights)) {
      const ref = r as WeightRef;
      if (!isObject(r) || !Number.isInteger(ref.offset) || !Number.isInteger(ref.length) || ref.offset < 0 || ref.length < 0 || ref.offset + ref.length > floats.length) {
        throw new ModelError(`${what} has an out-of-range weight reference in node "${String(n.name).slice(0, 80)}".`);
      }
      w[k] = floats.slice(ref.offset, ref.offset + ref.length);
    }
    return { ...n, weights: w } as unknown as Node;
  });
  const graph = { ...hg, nodes } as unknown as Graph;
  try {
    validateGraph(graph, 'its graph');
  } catch (e) {
    if (e instanceof ModelError) throw new ModelError(`${what} holds an inconsistent ${which}: ${e.message}`);
    throw new ModelError(`${what} holds a malformed ${which} graph.`);
  }
  return graph;
}

function readParts(h: Record<string, unknown>, what: string): Omit<Project, 'graph' | 'session'> {
  const p: Omit<Project, 'graph' | 'session'> = { history: validateHistory(h.history, what) };
  if (h.preprocessing !== undefined) p.preprocessing = validatePreprocessing(h.preprocessing, what);
  if (h.labels !== undefined) p.labels = validateLabels(h.labels, what);
  if (h.stats !== undefined) p.stats = validateStats(h.stats, what);
  return p;
}

/** The saved session's models, each checked: known origins, parents earlier in the list, one current model. */
function readSession(v: unknown, floats: Float32Array, what: string): SessionPart {
  if (!isObject(v) || !Array.isArray(v.models)) throw new ModelError(`${what} has a session ${describe(v)} where a list of models is needed.`);
  const list = v.models as unknown[];
  if (list.length < 1 || list.length > MAX_SESSION_MODELS) throw new ModelError(`${what} has a session of ${list.length} models; from 1 to ${MAX_SESSION_MODELS} are read.`);
  const current = v.current;
  if (!Number.isInteger(current) || (current as number) < 0 || (current as number) >= list.length) throw new ModelError(`${what} has a session whose current model ${describe(current)} is not one of its ${list.length} models.`);
  const models = list.map((m, i): SessionModel => {
    const which = `session model ${i + 1}`;
    if (!isObject(m) || typeof m.label !== 'string' || m.label.length > 4096 || !isObject(m.origin)) throw new ModelError(`${what} has ${which} ${describe(m)} where a label and an origin are needed.`);
    const o = m.origin;
    if (!SESSION_KINDS.includes(o.kind as SessionOrigin['kind']) || typeof o.path !== 'string' || o.path.length > 4096) throw new ModelError(`${what} has ${which} with origin ${describe(o)} where opened, pruned or finetuned and a path are needed.`);
    if (o.parent !== undefined && !(Number.isInteger(o.parent) && (o.parent as number) >= 0 && (o.parent as number) < i)) throw new ModelError(`${what} has ${which} made from ${describe(o.parent)}, which is not an earlier model of the session.`);
    const origin: SessionOrigin = { kind: o.kind as SessionOrigin['kind'], path: o.path, ...(o.parent !== undefined ? { parent: o.parent as number } : {}) };
    if (i === current) {
      if (m.graph !== undefined) throw new ModelError(`${what} holds the current session model twice.`);
      return { label: m.label, origin };
    }
    return { label: m.label, origin, project: { graph: readGraph(m.graph, floats, what, which), ...readParts(m, `${what} (${which})`) } };
  });
  return { models, current: current as number };
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
  const p: Project = { graph: readGraph(header.graph, floats, what, 'model'), ...readParts(header as unknown as Record<string, unknown>, what) };
  if (header.session !== undefined) p.session = readSession(header.session, floats, what);
  return p;
}

/** Writes a project as a `.seprune` file atomically; returns its size in bytes. */
export function saveProject(path: string, p: Project, o: WriteOptions = {}): number {
  const chunks = encodeProject(p);
  writeFileAtomic(path, chunks, o);
  return chunks.reduce((a, c) => a + c.length, 0);
}
