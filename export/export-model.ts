/**
 * One export end to end: pick the writer, write the artifact, verify it in every runtime of its
 * format from a staging folder beside `--out` (so `--out` only ever receives a file a runtime has
 * accepted), then write `--out` atomically. With a baseline (the unpruned model) the same export
 * is made of it in the same run and both files' batch-1 latencies are measured interleaved in each
 * runtime, so the report shows whether pruning made the shipped file faster. int8 exports carry the
 * size rule's report (export/size-rule.ts). Used by `seprune export` and the tests.
 */
import type { Graph } from '../app/model/ir.js';
import { logitCount } from '../app/model/shapes.js';
import { costReport } from '../app/model/accounting.js';
import { findExporter } from './registry.js';
import { checkOutput, cleanStaleStaging, stageBeside, writeArtifact } from './write-output.js';
import { batch1Latency, floatLogits, LATENCY_RUNS, measureRunner, type EvalBatch } from './verify/measure.js';
import { int8SizeReport, type Int8SizeReport } from './size-rule.js';
import type { ExportArtifact, ExportOptions, Exporter, GateChoice, Runner, VerifyReport, WeightChoice } from './types.js';

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
  /** The unpruned model, exported the same way in the same run for the latency comparison. */
  baseline?: { graph: Graph; source: string };
}

/** The baseline's export next to this one: its file size and, per runtime, its latency measured interleaved with ours. */
export interface BaselineReport {
  source: string;
  bytes: number;
  params: number;
  latency: { runtime: string; latencyMs: number; latencyRuns: number; threads?: number }[];
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
  /** int8: the file against the same format's fp32 file (the size rule). */
  size?: Int8SizeReport;
  /** The first runtime's report (onnxruntime-node for ONNX), or null with --no-verify. */
  verify: VerifyReport | null;
  /** Every runtime's report. */
  verifyAll: VerifyReport[];
  baseline?: BaselineReport;
}

/** Accuracy, drift and agreement of each runner (the first runtime is the reference for `agreementWithFirst`). */
async function measureAll(runners: Runner[], g: Graph, data: EvalBatch[], bytes: number, latencyRuns: number): Promise<VerifyReport[]> {
  const classes = logitCount(g);
  const ref = await floatLogits(g, data);
  const reports: VerifyReport[] = [];
  let first: number[] | undefined;
  for (const r of runners) {
    const preds: number[] = [];
    let k = data.length;
    if (r.maxImages) for (let i = 0, seen = 0; i < data.length; i++) if ((seen += data[i].n) >= r.maxImages) { k = i + 1; break; }
    const rep = await measureRunner(r, data.slice(0, k), ref.slice(0, k), classes, bytes, latencyRuns, preds);
    // Agreement over the images both runtimes saw (a limited runtime sees a prefix).
    if (first && !rep.refused && preds.length && preds.length <= first.length) rep.agreementWithFirst = preds.filter((p, i) => p === first![i]).length / preds.length;
    if (!first && !rep.refused) first = preds;
    reports.push(rep);
  }
  return reports;
}

/** Runs every runtime of `exporter` on the artifact as written at `path`. */
export async function verifyWritten(exporter: Exporter, path: string, g: Graph, data: EvalBatch[], bytes: number, latencyRuns?: number): Promise<VerifyReport[]> {
  const runners = await exporter.open(path, g);
  try {
    return await measureAll(runners, g, data, bytes, latencyRuns ?? LATENCY_RUNS);
  } finally {
    for (const r of runners) await r.release();
  }
}

/** Latency of `ours` and `theirs` (same runtime) in alternating rounds, so machine load falls on both alike. */
async function interleavedLatency(ours: Runner, theirs: Runner, data: EvalBatch[], runs: number, rounds = 3): Promise<[Awaited<ReturnType<typeof batch1Latency>>, Awaited<ReturnType<typeof batch1Latency>>]> {
  const a: number[] = [];
  const b: number[] = [];
  const per = Math.ceil(runs / rounds);
  let threads: [number | undefined, number | undefined] = [undefined, undefined];
  for (let k = 0; k < rounds; k++) {
    const x = await batch1Latency(ours, data, per);
    const y = await batch1Latency(theirs, data, per);
    a.push(x.latencyMs);
    b.push(y.latencyMs);
    threads = [x.threads, y.threads];
  }
  // The median of the rounds' medians (each over `per` runs).
  const med = (v: number[]): number => [...v].sort((p, q) => p - q)[Math.floor(v.length / 2)];
  return [
    { latencyMs: med(a), latencyRuns: per * rounds, ...(threads[0] ? { threads: threads[0] } : {}) },
    { latencyMs: med(b), latencyRuns: per * rounds, ...(threads[1] ? { threads: threads[1] } : {}) },
  ];
}

const sizeOf = (a: ExportArtifact): number => a.files.reduce((s, f) => s + f.data.length, 0);

export async function exportModel(req: ExportRequest): Promise<ExportReport> {
  const exporter = findExporter(req.format, req.quant);
  checkOutput(req.out, exporter.output, { force: req.force, protect: req.protect });
  cleanStaleStaging(req.out);
  const a = await exporter.write(req.graph, req);
  const bytes = sizeOf(a);
  const notes = [...a.notes];
  let size: Int8SizeReport | undefined;
  if (req.quant === 'int8') {
    const fp32 = await exporter.write(req.graph, { ...req, quant: 'fp32' });
    size = int8SizeReport(costReport(req.graph).params, bytes, sizeOf(fp32));
    notes.push(size.note);
  }
  const base = req.baseline ? await exporter.write(req.baseline.graph, req) : undefined;
  let reports: VerifyReport[] = [];
  let baseline: BaselineReport | undefined;
  if (req.verify !== false) {
    const runs = req.latencyRuns ?? LATENCY_RUNS;
    const staged = stageBeside(req.out, exporter, { model: a, ...(base ? { baseline: base } : {}) });
    const runners: Runner[] = [];
    const baseRunners: Runner[] = [];
    try {
      runners.push(...(await exporter.open(staged.paths.model, req.graph)));
      reports = await measureAll(runners, req.graph, req.verifyData ?? [], bytes, base ? 0 : runs);
      notes.push(...(exporter.absentRuntimes?.() ?? []));
      if (base && req.baseline) {
        baseRunners.push(...(await exporter.open(staged.paths.baseline!, req.baseline.graph)));
        baseline = { source: req.baseline.source, bytes: sizeOf(base), params: costReport(req.baseline.graph).params, latency: [] };
        for (let i = 0; i < runners.length; i++) {
          const theirs = baseRunners.find((r) => r.runtime === runners[i].runtime);
          if (runners[i].refused || !theirs || theirs.refused || runs <= 0) continue;
          const [x, y] = await interleavedLatency(runners[i], theirs, req.verifyData ?? [], runs);
          Object.assign(reports[i], x);
          baseline.latency.push({ runtime: theirs.runtime, latencyMs: y.latencyMs, latencyRuns: y.latencyRuns ?? runs, ...(y.threads ? { threads: y.threads } : {}) });
        }
      }
    } finally {
      for (const r of [...runners, ...baseRunners]) await r.release();
      staged.cleanup();
    }
  }
  writeArtifact(req.out, exporter.output, a, { force: req.force, protect: req.protect });
  return {
    file: req.out,
    bytes,
    format: exporter.format,
    quant: req.quant,
    notes,
    keptFloat: a.keptFloat,
    ...(a.gates ? { gates: a.gates } : {}),
    ...(a.weights ? { weights: a.weights } : {}),
    ...(size ? { size } : {}),
    verify: reports[0] ?? null,
    verifyAll: reports,
    ...(baseline ? { baseline } : {}),
  };
}
