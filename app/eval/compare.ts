/**
 * Side-by-side comparison of several models on one dataset: top-1/top-5, per-class top-1, params,
 * MACs, file size and CPU latency (batch 1, median) per model, and every model's differences
 * against the first. Accuracy comes from the same inference path as `evaluate` (onnxruntime-node,
 * falling back to the tfjs executor), so a compare row equals a separate `seprune eval` run.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Graph } from '../model/ir.js';
import type { LoadedModel } from '../model/project.js';
import { encodeProject, type Project } from '../model/project-file.js';
import type { Dataset } from '../data/types.js';
import { relabelled, type Progress } from '../util/progress.js';
import { costReport } from '../model/accounting.js';
import { createInference, type Inference } from '../engine/inference.js';
import { evaluateOn, measureLatency } from './evaluate.js';
import { logitCount } from '../model/shapes.js';
import type { CompareDiff, CompareReport, CompareRow } from './compare-types.js';

export type { CompareDiff, ComparePerClass, CompareReport, CompareRow } from './compare-types.js';

/** One model to compare, with the size of its file on disk (or of its .seprune encoding). */
export interface CompareInput {
  /** How the model is named in the report (its path, zoo spec or session label). */
  label: string;
  /** The model's IR: its parameters and MACs, and what runs unless `open` is given. */
  graph: Graph;
  fileBytes: number;
  /** Runs the model instead of the IR (an exported file in its own runtime, export/open-exported.ts). */
  open?: () => Promise<Inference>;
}

export interface CompareOptions {
  engine?: 'auto' | 'onnxruntime' | 'tfjs';
  /** Measure batch-1 latency (default true). */
  latency?: boolean;
  /** Timed latency runs (default 20, after 3 warm-up runs). */
  latencyRuns?: number;
  batchSize?: number;
  progress?: Progress;
  /** Called between models; throw from it to stop (a cancelled job). */
  check?: () => void;
}

/** Bytes of a project's .seprune encoding (the size of a zoo or in-memory model as a file). */
export function projectBytes(p: Project): number {
  return encodeProject(p).reduce((a, c) => a + c.length, 0);
}

/**
 * Bytes the model takes on disk: the file (plus its weight files for a TF.js model.json); for a
 * zoo model, the size of its .seprune encoding.
 */
export function modelFileBytes(m: LoadedModel): number {
  return m.source.startsWith('zoo:') ? projectBytes(m.project) : diskBytes(m.source);
}

/** Bytes of a model file on disk, with the weight files a TF.js model.json lists. */
export function diskBytes(path: string): number {
  let bytes = statSync(path).size;
  if (path.endsWith('.json')) {
    try {
      const j = JSON.parse(readFileSync(path, 'utf8')) as { weightsManifest?: { paths?: string[] }[] };
      for (const g of j.weightsManifest ?? []) for (const p of g.paths ?? []) bytes += statSync(join(dirname(path), p)).size;
    } catch {
      // the reader already accepted the file; a missing shard only makes the size smaller
    }
  }
  return bytes;
}

/** Row i minus the first row. */
export function differences(rows: CompareRow[]): CompareDiff[] {
  const base = rows[0];
  return rows.map((r) => ({
    model: r.model,
    top1: r.top1 - base.top1,
    top5: r.top5 - base.top5,
    perClass: r.perClass.map((c, i) => c.top1 - (base.perClass[i]?.top1 ?? 0)),
    params: r.params - base.params,
    macs: r.macs - base.macs,
    fileBytes: r.fileBytes - base.fileBytes,
    latencyMs: r.latencyMs === null || base.latencyMs === null ? null : r.latencyMs - base.latencyMs,
  }));
}

export async function compareModels(models: CompareInput[], ds: Dataset, indices: number[], o: CompareOptions = {}): Promise<CompareReport> {
  if (models.length === 0) throw new Error('compareModels needs at least one model');
  const rows: CompareRow[] = [];
  for (const [i, m] of models.entries()) {
    o.check?.();
    const inf = m.open ? await m.open() : await createInference(m.graph, { engine: o.engine ?? 'auto', gates: false });
    try {
      const step = `model ${i + 1}/${models.length}`;
      const progress: Progress | undefined = o.progress && relabelled(o.progress, `${step}: accuracy`);
      const r = await evaluateOn(inf, ds, indices, { logits: logitCount(m.graph), ...(o.batchSize ? { batchSize: o.batchSize } : {}), ...(progress ? { progress } : {}) });
      o.check?.();
      let latencyMs: number | null = null;
      if (o.latency !== false) {
        o.progress?.update(`${step}: latency`, 0, 1);
        const [l] = await measureLatency(inf, m.graph.inputs[0].shape, [1], o.latencyRuns ?? 20, 3);
        latencyMs = l.msPerImage;
      }
      const cost = costReport(m.graph);
      rows.push({
        model: m.label,
        engine: inf.engine,
        n: r.n,
        top1: r.top1,
        top5: r.top5,
        perClass: r.perClass.map((c) => ({ label: c.label, name: ds.classes[c.label] ?? String(c.label), n: c.n, top1: c.top1 })),
        params: cost.params,
        macs: cost.macs,
        fileBytes: m.fileBytes,
        latencyMs,
      });
    } finally {
      await inf.release();
    }
  }
  o.progress?.done();
  return {
    data: { name: ds.name, source: ds.source, split: ds.split, n: rows[0].n },
    classNames: rows[0].perClass.map((c) => c.name),
    rows,
    diffs: differences(rows),
  };
}
