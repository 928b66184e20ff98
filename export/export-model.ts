/**
 * One export end to end: pick the writer, write the artifact, verify it in every runtime of its
 * format from a private temporary copy (so `--out` only ever receives a file a runtime has
 * accepted), then write `--out` atomically. Used by `seprune export` and the tests.
 */
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Graph } from '../app/model/ir.js';
import { logitCount } from '../app/model/shapes.js';
import { findExporter } from './registry.js';
import { checkOutput, writeArtifact } from './write-output.js';
import { floatLogits, measureRunner, type EvalBatch } from './verify/measure.js';
import type { ExportArtifact, ExportOptions, Exporter, GateChoice, VerifyReport, WeightChoice } from './types.js';

export interface ExportRequest extends ExportOptions {
  graph: Graph;
  format: string;
  out: string;
  force?: boolean;
  /** Paths never overwritten (the model the user opened). */
  protect?: string[];
  /** Verification images; undefined skips the accuracy part but still loads and runs the file. */
  verifyData?: EvalBatch[];
  /** false skips verification entirely (--no-verify). */
  verify?: boolean;
  latencyRuns?: number;
}

export interface ExportReport {
  file: string;
  bytes: number;
  format: string;
  quant: string;
  notes: string[];
  keptFloat: string[];
  /** int8 with gate-aware precision: each SE block's measured gate error and whether it stayed float. */
  gates?: GateChoice[];
  /** TFLite int8: per-channel or per-tensor filters, per conv / depthwise layer. */
  weights?: WeightChoice[];
  /** The first runtime's report (onnxruntime-node for ONNX), or null with --no-verify. */
  verify: VerifyReport | null;
  /** Every runtime's report. */
  verifyAll: VerifyReport[];
}

/** Runs every runtime of `exporter` on the artifact as written at `path`. */
export async function verifyWritten(
  exporter: Exporter,
  path: string,
  g: Graph,
  data: EvalBatch[],
  bytes: number,
  latencyRuns?: number,
): Promise<VerifyReport[]> {
  const runners = await exporter.open(path, g);
  try {
    const classes = logitCount(g);
    const ref = await floatLogits(g, data);
    const reports: VerifyReport[] = [];
    for (const r of runners) reports.push(await measureRunner(r, data, ref, classes, bytes, latencyRuns));
    return reports;
  } finally {
    for (const r of runners) await r.release();
  }
}

/** Writes `a` into a fresh temporary place laid out as the final output; returns its path and a cleanup. */
function stage(exporter: Exporter, a: ExportArtifact): { path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'seprune-export-'));
  const path = exporter.output === 'file' ? join(dir, `model.${exporter.extension ?? 'bin'}`) : join(dir, 'model');
  if (exporter.output === 'folder') mkdirSync(path);
  writeArtifact(path, exporter.output, a, { force: true });
  return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function exportModel(req: ExportRequest): Promise<ExportReport> {
  const exporter = findExporter(req.format, req.quant);
  checkOutput(req.out, exporter.output, { force: req.force, protect: req.protect });
  const a = await exporter.write(req.graph, req);
  const bytes = a.files.reduce((s, f) => s + f.data.length, 0);
  let reports: VerifyReport[] = [];
  if (req.verify !== false) {
    const staged = stage(exporter, a);
    try {
      reports = await verifyWritten(exporter, staged.path, req.graph, req.verifyData ?? [], bytes, req.latencyRuns);
    } finally {
      staged.cleanup();
    }
  }
  writeArtifact(req.out, exporter.output, a, { force: req.force, protect: req.protect });
  return {
    file: req.out,
    bytes,
    format: exporter.format,
    quant: req.quant,
    notes: a.notes,
    keptFloat: a.keptFloat,
    ...(a.gates ? { gates: a.gates } : {}),
    ...(a.weights ? { weights: a.weights } : {}),
    verify: reports[0] ?? null,
    verifyAll: reports,
  };
}
